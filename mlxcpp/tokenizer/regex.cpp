#define PCRE2_CODE_UNIT_WIDTH 8
#include "mlxcpp/tokenizer/regex.h"

#include <pcre2.h>

#include <stdexcept>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::tokenizer {

namespace {

// Matching stops with an error rather than running away on a pathological pattern.
constexpr uint32_t kMatchLimit = 100'000'000;
constexpr size_t kJitStackMax = 16u << 20;

struct MatchData {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* stack = nullptr;
  ~MatchData() {
    if (data != nullptr) {
      pcre2_match_data_free(data);
    }
    if (context != nullptr) {
      pcre2_match_context_free(context);
    }
    if (stack != nullptr) {
      pcre2_jit_stack_free(stack);
    }
  }
};

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof(buf));
  return reinterpret_cast<const char*>(buf);
}

}  // namespace

struct Regex::Impl {
  std::string pattern;
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Impl() {
    if (code != nullptr) {
      pcre2_code_free(code);
    }
  }

  // Runs one match at `start`; returns the match range or false when none.
  bool match(MatchData& md, std::string_view text, size_t start, uint32_t options, size_t& b,
             size_t& e) const {
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    int rc = 0;
    for (;;) {
      rc = pcre2_match(code, subject, text.size(), start, options | PCRE2_NO_UTF_CHECK, md.data,
                       md.context);
      if (rc != PCRE2_ERROR_JIT_STACKLIMIT || md.stack != nullptr) {
        break;
      }
      // Grow the JIT stack once for deeply backtracking patterns.
      md.stack = pcre2_jit_stack_create(32 * 1024, kJitStackMax, nullptr);
      pcre2_jit_stack_assign(md.context, nullptr, md.stack);
    }
    if (rc == PCRE2_ERROR_NOMATCH) {
      return false;
    }
    if (rc < 0) {
      throw Error("[tokenizer regex] matching /" + pattern + "/ failed: " + pcre2_message(rc));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.data);
    b = ov[0];
    e = ov[1];
    return true;
  }

  void prepare(MatchData& md) const {
    md.data = pcre2_match_data_create_from_pattern(code, nullptr);
    md.context = pcre2_match_context_create(nullptr);
    if (md.data == nullptr || md.context == nullptr) {
      throw std::bad_alloc();
    }
    pcre2_set_match_limit(md.context, kMatchLimit);
  }
};

Regex::Regex(std::string_view pattern) : pattern_(pattern), impl_(std::make_unique<Impl>()) {
  impl_->pattern = pattern_;
  int err = 0;
  PCRE2_SIZE offset = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                              PCRE2_UTF | PCRE2_UCP, &err, &offset, nullptr);
  if (impl_->code == nullptr) {
    throw std::invalid_argument("[tokenizer regex] cannot compile /" + pattern_ + "/ at offset " +
                                std::to_string(offset) + ": " + pcre2_message(err));
  }
  impl_->jit = pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
Regex::~Regex() = default;

Regex Regex::literal(std::string_view literal) {
  // \Q...\E quotes everything except a literal "\E", which is spliced in separately.
  std::string p;
  size_t i = 0;
  while (i <= literal.size()) {
    const size_t k = literal.find("\\E", i);
    const size_t stop = k == std::string_view::npos ? literal.size() : k;
    if (stop > i) {
      p += "\\Q";
      p.append(literal.substr(i, stop - i));
      p += "\\E";
    }
    if (k == std::string_view::npos) {
      break;
    }
    p += "\\\\E";
    i = k + 2;
  }
  return Regex(p);
}

void Regex::for_each_match(std::string_view text,
                           const std::function<bool(size_t, size_t)>& fn) const {
  MatchData md;
  impl_->prepare(md);
  size_t last_end = 0;
  bool have_last = false;
  size_t last_match_end = 0;
  while (last_end <= text.size()) {
    size_t b = 0, e = 0;
    if (!impl_->match(md, text, last_end, 0, b, e)) {
      return;
    }
    if (b == e && have_last && last_match_end == e) {
      last_end += last_end < text.size()
                      ? utf8::lead_length(static_cast<unsigned char>(text[last_end]))
                      : 1;
      continue;
    }
    last_end = e;
    last_match_end = e;
    have_last = true;
    if (!fn(b, e)) {
      return;
    }
  }
}

bool Regex::search(std::string_view text) const {
  MatchData md;
  impl_->prepare(md);
  size_t b = 0, e = 0;
  return impl_->match(md, text, 0, 0, b, e);
}

bool Regex::full_match(std::string_view text) const {
  MatchData md;
  impl_->prepare(md);
  size_t b = 0, e = 0;
  return impl_->match(md, text, 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, b, e);
}

std::string regex_replace(const Regex& re, std::string_view text, std::string_view replacement) {
  std::string out;
  size_t prev = 0;
  re.for_each_match(text, [&](size_t b, size_t e) {
    out.append(text.substr(prev, b - prev));
    out.append(replacement);
    prev = e;
    return true;
  });
  out.append(text.substr(prev));
  return out;
}

}  // namespace mlxcpp::tokenizer
