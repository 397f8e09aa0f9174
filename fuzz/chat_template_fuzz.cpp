// libFuzzer target: a chat template (model folders ship them, so they are untrusted input)
// rendered over a conversation with tools. Anything but a TemplateError, or a render past
// the limits, is a finding.
#include "fuzz_util.h"
#include "mlxcpp/tokenizer/chat_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlxcpp;
  static const auto messages = nlohmann::ordered_json::parse(R"([
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi <b>there</b> \u00e9"},
    {"role": "assistant", "content": "", "tool_calls": [{"type": "function",
      "function": {"name": "f", "arguments": {"x": [1, 2.5, null, true]}}}]},
    {"role": "tool", "content": "{\"ok\": 1}"}])");
  ChatTemplateOptions options;
  options.add_generation_prompt = true;
  options.tools = nlohmann::ordered_json::parse(
      R"([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}])");
  options.limits.max_output_bytes = 1 << 20;
  options.limits.max_loop_iterations = 100000;
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  fuzz::expect_clean([&] {
    (void)apply_chat_template(source, messages, options,
                              {{"bos_token", "<s>"}, {"eos_token", "</s>"}});
  });
  return 0;
}
