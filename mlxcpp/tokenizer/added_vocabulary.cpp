#include "mlxcpp/tokenizer/added_vocabulary.h"

#include <algorithm>

#include "mlxcpp/tokenizer/unicode.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::tokenizer {

std::vector<AddedToken> read_added_tokens(const json& j, const std::string& where) {
  std::vector<AddedToken> out;
  if (j.is_null()) {
    return out;
  }
  if (!j.is_array()) {
    throw ConfigError(where + ": expected an array, got " + jsonu::type_name(j));
  }
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    const json& t = j[i];
    if (!t.is_object()) {
      throw ConfigError(at + ": expected an object, got " + jsonu::type_name(t));
    }
    AddedToken a;
    a.id = static_cast<int32_t>(jsonu::get_int(t, "id", at, -1, 0, INT32_MAX));
    if (!t.contains("id")) {
      throw ConfigError(at + ": missing key \"id\"");
    }
    a.content = jsonu::get_string(t, "content", at);
    if (a.content.empty()) {
      throw ConfigError(at + ".content: an added token cannot be empty");
    }
    if (!utf8::is_valid(a.content)) {
      throw ConfigError(at + ".content: not valid UTF-8");
    }
    a.special = jsonu::get_bool(t, "special", at, false);
    a.single_word = jsonu::get_bool(t, "single_word", at, false);
    a.lstrip = jsonu::get_bool(t, "lstrip", at, false);
    a.rstrip = jsonu::get_bool(t, "rstrip", at, false);
    a.normalized = jsonu::get_bool(t, "normalized", at, !a.special);
    out.push_back(std::move(a));
  }
  return out;
}

// ---------------------------------------------------------------------------
// TokenMatcher

void TokenMatcher::add(std::string_view pattern, uint32_t index) {
  if (!pattern.empty()) {
    first_bytes_[static_cast<unsigned char>(pattern[0])] = true;
  }
  uint32_t node = 0;
  for (unsigned char b : pattern) {
    auto& children = nodes_[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), b,
                               [](const auto& e, unsigned char v) { return e.first < v; });
    if (it != children.end() && it->first == b) {
      node = it->second;
      continue;
    }
    const auto child = static_cast<uint32_t>(nodes_.size());
    children.insert(it, {b, child});
    nodes_.emplace_back();  // invalidates `children`; it is not used after this
    node = child;
  }
  nodes_[node].index = index;
}

std::optional<std::pair<size_t, uint32_t>> TokenMatcher::longest_at(std::string_view text,
                                                                    size_t at) const {
  std::optional<std::pair<size_t, uint32_t>> best;
  uint32_t node = 0;
  for (size_t i = at; i < text.size(); ++i) {
    const auto& children = nodes_[node].children;
    const auto b = static_cast<unsigned char>(text[i]);
    auto it = std::lower_bound(children.begin(), children.end(), b,
                               [](const auto& e, unsigned char v) { return e.first < v; });
    if (it == children.end() || it->first != b) {
      break;
    }
    node = it->second;
    if (nodes_[node].index >= 0) {
      best = std::make_pair(i + 1 - at, static_cast<uint32_t>(nodes_[node].index));
    }
  }
  return best;
}

// ---------------------------------------------------------------------------
// AddedVocabulary

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens,
                                 const std::function<std::string(std::string_view)>& normalize)
    : tokens_(std::move(tokens)) {
  for (uint32_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& t = tokens_[i];
    by_id_[t.id] = i;
    by_content_[t.content] = i;
    if (t.normalized) {
      const std::string form = normalize(t.content);
      if (!form.empty()) {
        normalized_.add(form, i);
      }
    } else {
      raw_.add(t.content, i);
    }
  }
}

const AddedToken* AddedVocabulary::by_id(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken* AddedVocabulary::by_content(std::string_view content) const {
  auto it = by_content_.find(std::string(content));
  return it == by_content_.end() ? nullptr : &tokens_[it->second];
}

namespace {

bool word_char_before(std::string_view text, size_t at) {
  if (at == 0) {
    return false;
  }
  size_t i = utf8::char_start(text, at - 1);
  return unicode::is_word_char(utf8::next(text, i));
}

bool word_char_at(std::string_view text, size_t at) {
  if (at >= text.size()) {
    return false;
  }
  return unicode::is_word_char(utf8::next(text, at));
}

// Start of the run of whitespace that ends at `at`.
size_t skip_space_left(std::string_view text, size_t at) {
  while (at > 0) {
    const size_t s = utf8::char_start(text, at - 1);
    size_t i = s;
    if (!unicode::is_whitespace(utf8::next(text, i))) {
      break;
    }
    at = s;
  }
  return at;
}

// End of the run of whitespace that starts at `at`.
size_t skip_space_right(std::string_view text, size_t at) {
  while (at < text.size()) {
    size_t i = at;
    if (!unicode::is_whitespace(utf8::next(text, i))) {
      break;
    }
    at = i;
  }
  return at;
}

}  // namespace

std::vector<AddedSplit> AddedVocabulary::split(std::string_view text,
                                               const TokenMatcher& matcher) const {
  std::vector<AddedSplit> out;
  if (matcher.empty() || text.empty()) {
    out.push_back({0, text.size(), std::nullopt});
    return out;
  }
  size_t done = 0;  // everything before `done` is in `out`
  size_t at = 0;
  while (at < text.size()) {
    if (!matcher.may_start(static_cast<unsigned char>(text[at]))) {
      ++at;
      continue;
    }
    const auto match = matcher.longest_at(text, at);
    if (!match) {
      ++at;
      continue;
    }
    size_t begin = at;
    size_t end = at + match->first;
    const AddedToken& t = tokens_[match->second];
    at = end;
    if (t.single_word && (word_char_before(text, begin) || word_char_at(text, end))) {
      continue;
    }
    if (t.lstrip) {
      begin = std::max(skip_space_left(text, begin), done);
    }
    if (t.rstrip) {
      end = skip_space_right(text, end);
      at = end;
    }
    if (done < begin) {
      out.push_back({done, begin, std::nullopt});
    }
    out.push_back({begin, end, match->second});
    done = end;
  }
  if (done < text.size()) {
    out.push_back({done, text.size(), std::nullopt});
  }
  return out;
}

}  // namespace mlxcpp::tokenizer
