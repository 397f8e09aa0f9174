#include "mlxcpp/tokenizer/tool_calls.h"

#include <optional>

namespace mlxcpp {

namespace {

using ojson = nlohmann::ordered_json;

constexpr std::string_view kHermesOpen = "<tool_call>";
constexpr std::string_view kHermesClose = "</tool_call>";
constexpr std::string_view kPythonTag = "<|python_tag|>";
constexpr std::string_view kMistralCalls = "[TOOL_CALLS]";
constexpr std::string_view kMistralArgs = "[ARGS]";
constexpr std::string_view kDeepSeekBegin = "<｜tool▁calls▁begin｜>";
constexpr std::string_view kDeepSeekEnd = "<｜tool▁calls▁end｜>";
constexpr std::string_view kDeepSeekCallBegin = "<｜tool▁call▁begin｜>";
constexpr std::string_view kDeepSeekCallEnd = "<｜tool▁call▁end｜>";
constexpr std::string_view kDeepSeekSep = "<｜tool▁sep｜>";

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) {
    return {};
  }
  const size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<ojson> parse_json(std::string_view s) {
  ojson j = ojson::parse(s.begin(), s.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return std::nullopt;
  }
  return j;
}

// The end of the JSON value that starts at s[0] ('{' or '['), or npos.
size_t json_value_end(std::string_view s) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) {
        return i + 1;
      }
    }
  }
  return std::string_view::npos;
}

// Arguments: an object, or a string holding JSON (parsed when it is).
ojson normalize_arguments(const ojson& a) {
  if (a.is_string()) {
    if (auto parsed = parse_json(a.get<std::string>()); parsed && parsed->is_object()) {
      return *parsed;
    }
  }
  return a.is_null() ? ojson::object() : a;
}

// {"name": ..., "arguments"|"parameters": ...} -> a call.
std::optional<ToolCall> call_from_json(const ojson& j) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) {
    return std::nullopt;
  }
  ToolCall c;
  c.name = j["name"].get<std::string>();
  if (j.contains("arguments")) {
    c.arguments = normalize_arguments(j["arguments"]);
  } else if (j.contains("parameters")) {
    c.arguments = normalize_arguments(j["parameters"]);
  }
  if (j.contains("id") && j["id"].is_string()) {
    c.id = j["id"].get<std::string>();
  }
  return c;
}

void parse_hermes(std::string_view text, ParsedReply& out) {
  size_t pos = 0;
  while (true) {
    const size_t open = text.find(kHermesOpen, pos);
    if (open == std::string_view::npos) {
      break;
    }
    const size_t body = open + kHermesOpen.size();
    const size_t close = text.find(kHermesClose, body);
    const size_t body_end = close == std::string_view::npos ? text.size() : close;
    const auto j = parse_json(trim(text.substr(body, body_end - body)));
    const auto call = j ? call_from_json(*j) : std::nullopt;
    if (!call) {  // malformed: keep it as text
      out.content.append(text.substr(pos, body_end - pos));
      pos = body_end;
      continue;
    }
    out.content.append(text.substr(pos, open - pos));
    out.tool_calls.push_back(*call);
    pos = close == std::string_view::npos ? text.size() : close + kHermesClose.size();
  }
  out.content.append(text.substr(pos));
}

// One or more JSON objects (or a list of them), separated by ';' or whitespace.
bool parse_json_calls(std::string_view s, std::vector<ToolCall>& calls) {
  std::vector<ToolCall> found;
  size_t i = 0;
  while (true) {
    while (i < s.size() &&
           (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t' || s[i] == ';')) {
      ++i;
    }
    if (i >= s.size()) {
      break;
    }
    if (s[i] != '{' && s[i] != '[') {
      return false;
    }
    const size_t end = json_value_end(s.substr(i));
    if (end == std::string_view::npos) {
      return false;
    }
    const auto j = parse_json(s.substr(i, end));
    if (!j) {
      return false;
    }
    for (const ojson& item : j->is_array() ? *j : ojson::array({*j})) {
      auto call = call_from_json(item);
      if (!call) {
        return false;
      }
      found.push_back(std::move(*call));
    }
    i += end;
  }
  if (found.empty()) {
    return false;
  }
  calls.insert(calls.end(), found.begin(), found.end());
  return true;
}

void parse_llama3(std::string_view text, ParsedReply& out) {
  const size_t tag = text.find(kPythonTag);
  const std::string_view before = tag == std::string_view::npos ? "" : text.substr(0, tag);
  const std::string_view calls =
      tag == std::string_view::npos ? text : text.substr(tag + kPythonTag.size());
  std::vector<ToolCall> found;
  if (parse_json_calls(calls, found)) {
    out.content.append(before);
    out.tool_calls = std::move(found);
  } else {
    out.content.append(text);
  }
}

void parse_mistral(std::string_view text, ParsedReply& out) {
  const size_t tag = text.find(kMistralCalls);
  if (tag == std::string_view::npos) {
    out.content.append(text);
    return;
  }
  const std::string_view rest = text.substr(tag);
  std::vector<ToolCall> found;
  bool ok = true;
  size_t pos = 0;
  while (ok && pos < rest.size() && rest.compare(pos, kMistralCalls.size(), kMistralCalls) == 0) {
    pos += kMistralCalls.size();
    const size_t args = rest.find(kMistralArgs, pos);
    const size_t next = rest.find(kMistralCalls, pos);
    const size_t end = next == std::string_view::npos ? rest.size() : next;
    if (args != std::string_view::npos && args < end) {
      // v11+: [TOOL_CALLS]name[ARGS]{...}
      const auto j = parse_json(
          trim(rest.substr(args + kMistralArgs.size(), end - args - kMistralArgs.size())));
      ok = j.has_value();
      if (ok) {
        found.push_back({trim(rest.substr(pos, args - pos)), normalize_arguments(*j), {}});
      }
    } else {
      ok = parse_json_calls(rest.substr(pos, end - pos), found);
    }
    pos = end;
  }
  if (ok && !found.empty()) {
    out.content.append(text.substr(0, tag));
    out.tool_calls = std::move(found);
  } else {
    out.content.append(text);
  }
}

void parse_deepseek(std::string_view text, ParsedReply& out) {
  const size_t begin = text.find(kDeepSeekBegin);
  if (begin == std::string_view::npos) {
    out.content.append(text);
    return;
  }
  const size_t end = text.find(kDeepSeekEnd, begin);
  const std::string_view block =
      text.substr(begin, (end == std::string_view::npos ? text.size() : end) - begin);
  std::vector<ToolCall> found;
  size_t pos = 0;
  while (true) {
    const size_t call = block.find(kDeepSeekCallBegin, pos);
    if (call == std::string_view::npos) {
      break;
    }
    const size_t sep = block.find(kDeepSeekSep, call);
    size_t call_end = block.find(kDeepSeekCallEnd, call);
    call_end = call_end == std::string_view::npos ? block.size() : call_end;
    if (sep == std::string_view::npos || sep > call_end) {
      found.clear();
      break;
    }
    // name, newline, ```json, the arguments, ```
    const std::string_view body =
        block.substr(sep + kDeepSeekSep.size(), call_end - sep - kDeepSeekSep.size());
    const size_t newline = body.find('\n');
    const std::string name = trim(body.substr(0, newline));
    std::string args = newline == std::string_view::npos ? "" : trim(body.substr(newline + 1));
    if (args.rfind("```json", 0) == 0) {
      args.erase(0, 7);
    } else if (args.rfind("```", 0) == 0) {
      args.erase(0, 3);
    }
    if (args.size() >= 3 && args.compare(args.size() - 3, 3, "```") == 0) {
      args.resize(args.size() - 3);
    }
    const auto j = parse_json(trim(args));
    if (name.empty() || !j) {
      found.clear();
      break;
    }
    found.push_back({name, normalize_arguments(*j), {}});
    pos = call_end;
  }
  if (found.empty()) {
    out.content.append(text);
    return;
  }
  out.content.append(text.substr(0, begin));
  if (end != std::string_view::npos) {
    out.content.append(text.substr(end + kDeepSeekEnd.size()));
  }
  out.tool_calls = std::move(found);
}

ToolCallFormat detect(std::string_view text) {
  if (text.find(kHermesOpen) != std::string_view::npos) {
    return ToolCallFormat::Hermes;
  }
  if (text.find(kMistralCalls) != std::string_view::npos) {
    return ToolCallFormat::Mistral;
  }
  if (text.find(kDeepSeekBegin) != std::string_view::npos) {
    return ToolCallFormat::DeepSeek;
  }
  const std::string t = trim(text);
  if (text.find(kPythonTag) != std::string_view::npos || (!t.empty() && t[0] == '{')) {
    return ToolCallFormat::Llama3;
  }
  return ToolCallFormat::Auto;
}

}  // namespace

ParsedReply extract_thinking(std::string_view text, std::string_view open, std::string_view close) {
  ParsedReply out;
  const size_t o = text.find(open);
  const size_t c = text.find(close, o == std::string_view::npos ? 0 : o + open.size());
  if (o != std::string_view::npos && (c == std::string_view::npos || o < c)) {
    out.content.append(text.substr(0, o));
    const size_t body = o + open.size();
    if (c == std::string_view::npos) {  // still thinking
      out.reasoning = trim(text.substr(body));
      return out;
    }
    out.reasoning = trim(text.substr(body, c - body));
    out.content.append(text.substr(c + close.size()));
  } else if (c != std::string_view::npos) {  // the prompt opened the block
    out.reasoning = trim(text.substr(0, c));
    out.content.append(text.substr(c + close.size()));
  } else {
    out.content.append(text);
    return out;
  }
  out.content = std::string(trim(out.content));
  return out;
}

ParsedReply parse_tool_calls(std::string_view text, ToolCallFormat format) {
  ParsedReply out;
  switch (format == ToolCallFormat::Auto ? detect(text) : format) {
    case ToolCallFormat::Hermes:
      parse_hermes(text, out);
      break;
    case ToolCallFormat::Llama3:
      parse_llama3(text, out);
      break;
    case ToolCallFormat::Mistral:
      parse_mistral(text, out);
      break;
    case ToolCallFormat::DeepSeek:
      parse_deepseek(text, out);
      break;
    case ToolCallFormat::Auto:
      out.content = std::string(text);
      return out;
  }
  if (!out.tool_calls.empty()) {
    out.content = trim(out.content);
  }
  return out;
}

ParsedReply parse_reply(std::string_view text, ToolCallFormat format) {
  ParsedReply thinking = extract_thinking(text);
  ParsedReply calls = parse_tool_calls(thinking.content, format);
  calls.reasoning = std::move(thinking.reasoning);
  return calls;
}

ToolCallFormat tool_call_format_of_template(std::string_view t) {
  if (t.find(kHermesOpen) != std::string_view::npos) {
    return ToolCallFormat::Hermes;
  }
  if (t.find(kMistralCalls) != std::string_view::npos) {
    return ToolCallFormat::Mistral;
  }
  if (t.find("tool▁calls▁begin") != std::string_view::npos) {
    return ToolCallFormat::DeepSeek;
  }
  if (t.find("<|python_tag|>") != std::string_view::npos ||
      t.find("ipython") != std::string_view::npos) {
    return ToolCallFormat::Llama3;
  }
  return ToolCallFormat::Auto;
}

}  // namespace mlxcpp
