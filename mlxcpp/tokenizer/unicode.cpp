#include "mlxcpp/tokenizer/unicode.h"

#include <utf8proc.h>

#include <algorithm>

#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::tokenizer::unicode {

namespace {

struct ScriptRange {
  char32_t first, last;
  int id;
};
struct SpecialCase {
  char32_t from;
  char32_t to[3];
};

#include "mlxcpp/tokenizer/unicode_tables.inc"

const utf8proc_property_t* prop(char32_t c) {
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c));
}

const SpecialCase* find_special(const SpecialCase* begin, const SpecialCase* end, char32_t c) {
  auto it =
      std::lower_bound(begin, end, c, [](const SpecialCase& s, char32_t v) { return s.from < v; });
  return it != end && it->from == c ? it : nullptr;
}

void append_special(std::string& out, const SpecialCase& s) {
  for (char32_t t : s.to) {
    if (t != 0) {
      utf8::append(out, t);
    }
  }
}

}  // namespace

int category(char32_t c) {
  return c > 0x10FFFF ? static_cast<int>(UTF8PROC_CATEGORY_CN)
                      : static_cast<int>(prop(c)->category);
}

bool is_letter(char32_t c) {
  const int k = category(c);
  return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}

bool is_number(char32_t c) {
  const int k = category(c);
  return k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO;
}

bool is_decimal(char32_t c) {
  return category(c) == UTF8PROC_CATEGORY_ND;
}

bool is_punctuation(char32_t c) {
  const int k = category(c);
  return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

bool is_symbol(char32_t c) {
  const int k = category(c);
  return k >= UTF8PROC_CATEGORY_SM && k <= UTF8PROC_CATEGORY_SO;
}

bool is_other(char32_t c) {
  const int k = category(c);
  return k == UTF8PROC_CATEGORY_CN || (k >= UTF8PROC_CATEGORY_CC && k <= UTF8PROC_CATEGORY_CO);
}

bool is_mark(char32_t c) {
  const int k = category(c);
  return k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ME;
}

bool is_mark_nonspacing(char32_t c) {
  return category(c) == UTF8PROC_CATEGORY_MN;
}

bool is_whitespace(char32_t c) {
  switch (c) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool is_python_space(char32_t c) {
  return is_whitespace(c) || (c >= 0x1C && c <= 0x1F);
}

namespace {

// Other_Alphabetic and Other_Lowercase/Uppercase code points outside the
// letter categories that matter in practice: circled Latin letters.
bool is_other_alphabetic_symbol(char32_t c) {
  return c >= 0x24B6 && c <= 0x24E9;
}

}  // namespace

bool is_alphanumeric(char32_t c) {
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  }
  const int k = category(c);
  if ((k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) ||
      (k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO)) {
    return true;
  }
  // Alphabetic also holds the spacing and many non-spacing vowel signs (Other_Alphabetic).
  return (k == UTF8PROC_CATEGORY_MC) || is_other_alphabetic_symbol(c);
}

bool is_word_char(char32_t c) {
  if (c < 0x80) {
    return c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  }
  const int k = category(c);
  return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) ||
         (k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ND) || k == UTF8PROC_CATEGORY_NL ||
         k == UTF8PROC_CATEGORY_PC || c == 0x200C || c == 0x200D || is_other_alphabetic_symbol(c);
}

bool is_printable(char32_t c) {
  if (c == ' ') {
    return true;
  }
  const int k = category(c);
  switch (k) {
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
      return false;
    default:
      return true;
  }
}

char32_t to_lower(char32_t c) {
  if (c < 0x80) {
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  }
  return c > 0x10FFFF ? c : static_cast<char32_t>(utf8proc_tolower(static_cast<int32_t>(c)));
}

char32_t to_upper(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') ? c - 32 : c;
  }
  return c > 0x10FFFF ? c : static_cast<char32_t>(utf8proc_toupper(static_cast<int32_t>(c)));
}

void append_lower(std::string& out, char32_t c) {
  if (c == 0x130) {  // the one unconditional multi-character lowercase mapping
    out += "i\xCC\x87";
    return;
  }
  utf8::append(out, to_lower(c));
}

void append_upper(std::string& out, char32_t c) {
  if (c >= 0xDF) {
    if (const auto* s = find_special(std::begin(kSpecialUpper), std::end(kSpecialUpper), c)) {
      append_special(out, *s);
      return;
    }
  }
  utf8::append(out, to_upper(c));
}

void append_title(std::string& out, char32_t c) {
  if (c >= 0xDF) {
    if (const auto* s = find_special(std::begin(kSpecialTitle), std::end(kSpecialTitle), c)) {
      append_special(out, *s);
      return;
    }
  }
  utf8::append(out,
               c > 0x10FFFF ? c : static_cast<char32_t>(utf8proc_totitle(static_cast<int32_t>(c))));
}

bool is_lower(char32_t c) {
  return category(c) == UTF8PROC_CATEGORY_LL || (c == 0xAA || c == 0xBA) ||
         (c >= 0x2B0 && c <= 0x2B8) || (c >= 0x24D0 && c <= 0x24E9);
}

bool is_upper(char32_t c) {
  return category(c) == UTF8PROC_CATEGORY_LU || (c >= 0x24B6 && c <= 0x24CF);
}

bool is_cased(char32_t c) {
  return is_lower(c) || is_upper(c) || category(c) == UTF8PROC_CATEGORY_LT;
}

bool is_case_ignorable(char32_t c) {
  switch (c) {
    case 0x27:
    case 0x2E:
    case 0x3A:
    case 0x5E:
    case 0x60:
    case 0xA8:
    case 0xAD:
    case 0xAF:
    case 0xB4:
    case 0xB7:
    case 0xB8:
    case 0x387:
    case 0x55F:
    case 0x5F4:
    case 0x2018:
    case 0x2019:
    case 0x2024:
    case 0x2027:
    case 0xFE13:
    case 0xFE52:
    case 0xFE55:
    case 0xFF07:
    case 0xFF0E:
    case 0xFF1A:
      return true;
    default:
      break;
  }
  const int k = category(c);
  return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_ME || k == UTF8PROC_CATEGORY_CF ||
         k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_SK;
}

int script(char32_t c) {
  auto it = std::upper_bound(std::begin(kScriptRanges), std::end(kScriptRanges), c,
                             [](char32_t v, const ScriptRange& r) { return v < r.first; });
  if (it == std::begin(kScriptRanges)) {
    return 0;
  }
  --it;
  return c <= it->last ? it->id : 0;
}

const char* script_name(int id) {
  if (id < 0 || id >= static_cast<int>(std::size(kScriptNames))) {
    return "Unknown";
  }
  return kScriptNames[id];
}

int script_id(std::string_view name) {
  for (size_t id = 0; id < std::size(kScriptNames); ++id) {
    if (name == kScriptNames[id]) {
      return static_cast<int>(id);
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------
// Normalisation forms

namespace {

bool is_hangul_vt(char32_t c) {
  return (c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2);
}

bool is_composition_second(char32_t c) {
  const auto* p = prop(c);
  return p->combining_class != 0 || (p->comb_index != 0xFFFF && (p->comb_index & 0x8000) != 0) ||
         is_hangul_vt(c);
}

utf8proc_option_t options_of(Form form) {
  int o = UTF8PROC_STABLE;
  switch (form) {
    case Form::NFC:
      o |= UTF8PROC_COMPOSE;
      break;
    case Form::NFD:
      o |= UTF8PROC_DECOMPOSE;
      break;
    case Form::NFKC:
      o |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
      break;
    case Form::NFKD:
      o |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
      break;
  }
  return static_cast<utf8proc_option_t>(o);
}

// A character that no normalisation form changes and that nothing before it can
// combine with: it starts a chunk of its own and maps to itself.
bool is_inert(char32_t c) {
  if (c < 0x80) {
    return true;
  }
  const auto* p = prop(c);
  if (p->combining_class != 0 || p->comb_index != 0xFFFF || p->decomp_seqindex != 0xFFFF) {
    return false;
  }
  // Hangul syllables decompose algorithmically and may take a following T jamo.
  return !(c >= 0xAC00 && c <= 0xD7A3) && !(c >= 0x1100 && c <= 0x11FF);
}

// True when a chunk may start at c: the first code point of c's decomposition is a
// starter that cannot combine with anything before it.
bool starts_chunk(char32_t c, utf8proc_option_t opts) {
  if (c < 0x80) {
    return true;
  }
  utf8proc_int32_t buf[32];
  const auto n =
      utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 32,
                              static_cast<utf8proc_option_t>(opts | UTF8PROC_DECOMPOSE), nullptr);
  if (n <= 0) {
    return true;
  }
  return !is_composition_second(static_cast<char32_t>(buf[0]));
}

// Normalises one chunk of valid UTF-8 into out (appending).
void normalize_chunk(std::string_view chunk, utf8proc_option_t opts,
                     std::vector<utf8proc_int32_t>& buf, std::string& out) {
  for (;;) {
    const auto n = utf8proc_decompose(reinterpret_cast<const utf8proc_uint8_t*>(chunk.data()),
                                      static_cast<utf8proc_ssize_t>(chunk.size()), buf.data(),
                                      static_cast<utf8proc_ssize_t>(buf.size()), opts);
    if (n < 0) {  // cannot happen on valid input; keep the text rather than lose it
      out.append(chunk);
      return;
    }
    if (static_cast<size_t>(n) > buf.size()) {
      buf.resize(static_cast<size_t>(n) + 16);
      continue;
    }
    const auto bytes = utf8proc_reencode(buf.data(), n, opts);
    if (bytes < 0) {
      out.append(chunk);
      return;
    }
    out.append(reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(bytes));
    return;
  }
}

}  // namespace

bool normalize(std::string_view text, Form form, std::string& out, std::vector<NormChunk>* chunks) {
  out.clear();
  if (chunks != nullptr) {
    chunks->clear();
  }
  const utf8proc_option_t opts = options_of(form);
  std::vector<utf8proc_int32_t> buf(64);
  bool changed = false;
  size_t copied = 0;  // text[0, copied) is already represented in out (when changed)
  size_t i = 0;
  while (i < text.size()) {
    // Skip inert characters that nothing after them combines with: they
    // normalise to themselves ("e" followed by U+0301 is not skipped).
    size_t j = i;
    const char32_t c = utf8::next(text, j);
    if (is_inert(c)) {
      size_t k = j;
      if (j == text.size() || starts_chunk(utf8::next(text, k), opts)) {
        i = j;
        continue;
      }
    }
    // A chunk starts at i and runs until the next character that starts a chunk.
    size_t end = j;
    while (end < text.size()) {
      size_t k = end;
      const char32_t d = utf8::next(text, k);
      if (starts_chunk(d, opts)) {
        break;
      }
      end = k;
    }
    const std::string_view chunk = text.substr(i, end - i);
    std::string piece;
    normalize_chunk(chunk, opts, buf, piece);
    if (piece != chunk) {
      if (!changed) {
        out.reserve(text.size() + text.size() / 8 + 16);
        changed = true;
      }
      out.append(text.substr(copied, i - copied));
      if (chunks != nullptr) {
        chunks->push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(end),
                           static_cast<uint32_t>(out.size()),
                           static_cast<uint32_t>(out.size() + piece.size())});
      }
      out += piece;
      copied = end;
    }
    i = end;
  }
  if (!changed) {
    return false;
  }
  out.append(text.substr(copied));
  return true;
}

std::string normalized(std::string_view text, Form form) {
  std::string out;
  if (!normalize(text, form, out)) {
    return std::string(text);
  }
  return out;
}

std::string python_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    const char32_t c = utf8::next(s, i);
    if (c == 0x3A3) {  // final sigma: preceded by a cased letter and not followed by one
      bool before = false;
      size_t b = start;
      while (b > 0) {
        b = utf8::char_start(s, b - 1);
        size_t t = b;
        const char32_t p = utf8::next(s, t);
        if (is_case_ignorable(p)) {
          continue;
        }
        before = is_cased(p);
        break;
      }
      bool after = false;
      size_t a = i;
      while (a < s.size()) {
        const char32_t n = utf8::next(s, a);
        if (is_case_ignorable(n)) {
          continue;
        }
        after = is_cased(n);
        break;
      }
      utf8::append(out, before && !after ? 0x3C2 : 0x3C3);
      continue;
    }
    append_lower(out, c);
  }
  return out;
}

std::string python_upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    append_upper(out, utf8::next(s, i));
  }
  return out;
}

}  // namespace mlxcpp::tokenizer::unicode
