// `mlxcpp info`: what this build is and what the machine offers.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include "mlxcpp/core/build_info.h"
#include "mlxcpp/core/device.h"
#include "mlxcpp/core/memory.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/lm/load.h"
#include "tools/cli/commands.h"
#include "tools/cli/jsonl.h"

namespace mlxcpp::cli {

namespace {

int model_info(const std::string& path) {
  const lm::LoadedModel m = lm::load(path);
  const auto config = read_json_file(m.folder + "/config.json");
  fmt::print("model:        {}\n", m.folder);
  fmt::print("architecture: {}\n", m.model_type);
  fmt::print("parameters:   {}\n", m.model->num_logical_parameters());
  const auto& q =
      config.contains("quantization") ? config["quantization"] : nlohmann::ordered_json();
  if (q.is_object()) {
    // lm::load has checked these; what the config leaves out takes the mode's defaults.
    const std::string mode = q.value("mode", std::string("affine"));
    const auto [group_size, bits] = quantization_defaults(mode);
    fmt::print("quantization: {}-bit {}, group size {}\n", q.value("bits", bits), mode,
               q.value("group_size", group_size));
  } else {
    fmt::print("quantization: none ({})\n", config.value("torch_dtype", std::string("float")));
  }
  for (const char* key : {"max_position_embeddings", "max_sequence_length", "n_positions"}) {
    if (config.contains(key) && config[key].is_number_integer()) {
      fmt::print("context:      {} tokens\n", config[key].get<int64_t>());
      break;
    }
  }
  fmt::print("tokenizer:    {}\n", m.tokenizer ? fmt::format("{} tokens", m.tokenizer->vocab_size())
                                               : std::string("none"));
  return 0;
}

}  // namespace

void register_info(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("info", "Print the build: version, compiler, ISA, BLAS, threads");
  auto model = std::make_shared<std::string>();
  cmd->add_option("--model", *model, "Summarise a model instead (folder or hub id)");
  cmd->callback([&action, model] {
    if (!model->empty()) {
      action = [model] { return model_info(*model); };
      return;
    }
    action = [] {
      const auto info = build_info();
      const auto& dev = device_info(Device::cpu);
      fmt::print("mlxcpp {}\n", info.version);
      fmt::print("build type:   {}\n", info.build_type);
      fmt::print("compiler:     {}\n", info.compiler);
      fmt::print("ISA compiled: {}\n", fmt::join(info.isa_compiled, ", "));
      fmt::print("ISA CPU:      {}\n", info.isa_cpu.empty()
                                           ? std::string("(none detected)")
                                           : fmt::format("{}", fmt::join(info.isa_cpu, ", ")));
      fmt::print("BLAS:         {}\n", info.blas);
      fmt::print("threads:      {}\n", info.threads);
      fmt::print("cpu:          {}\n", std::get<std::string>(dev.at("device_name")));
      fmt::print("memory:       {:.1f} GiB (limit {:.1f} GiB)\n",
                 std::get<size_t>(dev.at("memory_size")) / double(1 << 30),
                 get_memory_limit() / double(1 << 30));
      fmt::print("gpu:          none (this build has no gpu backend)\n");
      return 0;
    };
  });
}

}  // namespace mlxcpp::cli
