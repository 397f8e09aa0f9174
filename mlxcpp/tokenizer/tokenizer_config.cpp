#include "mlxcpp/tokenizer/tokenizer_config.h"

#include <cmath>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/json_util.h"

namespace mlxcpp::tokenizer {

std::optional<std::string> TokenizerConfig::special(const std::string& role) const {
  auto it = special_tokens.find(role);
  if (it == special_tokens.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<std::string> TokenizerConfig::chat_template(std::string_view name) const {
  if (chat_templates.empty()) {
    return std::nullopt;
  }
  if (name.empty()) {
    if (auto it = chat_templates.find("default"); it != chat_templates.end()) {
      return it->second;
    }
    if (chat_templates.size() == 1) {
      return chat_templates.begin()->second;
    }
    return std::nullopt;
  }
  auto it = chat_templates.find(std::string(name));
  if (it == chat_templates.end()) {
    return std::nullopt;
  }
  return it->second;
}

namespace {

json parse_json(std::string_view text, const std::string& file) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw FormatError(file, e.byte, std::string("not valid JSON: ") + e.what());
  } catch (const json::exception& e) {  // e.g. a number too large for a double
    throw FormatError(file, 0, std::string("not valid JSON: ") + e.what());
  }
}

// A special token is a string or an AddedToken object {"content": ...}.
std::optional<std::string> token_text(const json& v, const std::string& file,
                                      const std::string& key) {
  if (v.is_null()) {
    return std::nullopt;
  }
  if (v.is_string()) {
    return v.get<std::string>();
  }
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    return v["content"].get<std::string>();
  }
  throw FormatError(file, 0,
                    key + ": expected a string or {\"content\": ...}, got " + jsonu::type_name(v));
}

std::optional<bool> opt_bool(const json& j, const char* key, const std::string& file) {
  if (!j.contains(key) || j[key].is_null()) {
    return std::nullopt;
  }
  if (!j[key].is_boolean()) {
    throw FormatError(file, 0,
                      std::string(key) + ": expected a boolean, got " + jsonu::type_name(j[key]));
  }
  return j[key].get<bool>();
}

void read_chat_templates(const json& t, const std::string& file, TokenizerConfig& out) {
  if (t.is_null()) {
    return;
  }
  if (t.is_string()) {
    out.chat_templates["default"] = t.get<std::string>();
    return;
  }
  if (!t.is_array()) {
    throw FormatError(file, 0,
                      "chat_template: expected a string or a list of {name, template}, "
                      "got " +
                          jsonu::type_name(t));
  }
  for (size_t i = 0; i < t.size(); ++i) {
    const json& e = t[i];
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() ||
        !e.contains("template") || !e["template"].is_string()) {
      throw FormatError(
          file, 0,
          "chat_template[" + std::to_string(i) + "]: expected {\"name\": ..., \"template\": ...}");
    }
    out.chat_templates[e["name"].get<std::string>()] = e["template"].get<std::string>();
  }
}

}  // namespace

void parse_tokenizer_config(std::string_view text, const std::string& file, TokenizerConfig& out) {
  const json j = parse_json(text, file);
  if (!j.is_object()) {
    throw FormatError(file, 0, "expected a JSON object, got " + jsonu::type_name(j));
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const bool role = key.size() > 6 && key.compare(key.size() - 6, 6, "_token") == 0 &&
                      key != "add_bos_token" && key != "add_eos_token";
    if (role) {
      if (auto t = token_text(it.value(), file, key)) {
        out.special_tokens[key] = *t;
      }
    }
  }
  if (j.contains("additional_special_tokens") && !j["additional_special_tokens"].is_null()) {
    const json& a = j["additional_special_tokens"];
    if (!a.is_array()) {
      throw FormatError(file, 0,
                        "additional_special_tokens: expected a list, got " + jsonu::type_name(a));
    }
    for (const auto& v : a) {
      if (auto t = token_text(v, file, "additional_special_tokens")) {
        out.additional_special_tokens.push_back(*t);
      }
    }
  }
  out.add_bos_token = opt_bool(j, "add_bos_token", file);
  out.add_eos_token = opt_bool(j, "add_eos_token", file);
  out.clean_up_tokenization_spaces =
      opt_bool(j, "clean_up_tokenization_spaces", file).value_or(false);
  if (j.contains("model_max_length") && j["model_max_length"].is_number()) {
    const double v = j["model_max_length"].get<double>();
    if (std::isfinite(v) && v >= 0 && v < 9.2e18) {
      out.model_max_length = static_cast<int64_t>(v);
    }
  }
  if (j.contains("chat_template")) {
    read_chat_templates(j["chat_template"], file, out);
  }
}

void parse_generation_config(std::string_view text, const std::string& file, TokenizerConfig& out) {
  const json j = parse_json(text, file);
  if (!j.is_object()) {
    throw FormatError(file, 0, "expected a JSON object, got " + jsonu::type_name(j));
  }
  auto read_id = [&](const json& v, const std::string& key) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX) {
      throw FormatError(file, 0, key + ": expected a token id, got " + v.dump());
    }
    return static_cast<int32_t>(v.get<int64_t>());
  };
  if (j.contains("eos_token_id") && !j["eos_token_id"].is_null()) {
    const json& e = j["eos_token_id"];
    if (e.is_array()) {
      for (const auto& v : e) {
        out.generation_eos_token_ids.push_back(read_id(v, "eos_token_id"));
      }
    } else {
      out.generation_eos_token_ids.push_back(read_id(e, "eos_token_id"));
    }
  }
  if (j.contains("bos_token_id") && !j["bos_token_id"].is_null()) {
    out.generation_bos_token_id = read_id(j["bos_token_id"], "bos_token_id");
  }
}

}  // namespace mlxcpp::tokenizer
