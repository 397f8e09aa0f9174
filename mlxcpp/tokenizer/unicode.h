// Unicode properties, case mappings and normalisation forms (on utf8proc),
// with the exact predicate definitions the reference tokenizers use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlxcpp::tokenizer::unicode {

/** General category, as utf8proc numbers them (Cn = 0, Lu = 1, ... Co = 29). */
int category(char32_t c);

bool is_letter(char32_t c);           // L*
bool is_number(char32_t c);           // N*  (Rust's char::is_numeric)
bool is_punctuation(char32_t c);      // P*
bool is_symbol(char32_t c);           // S*
bool is_other(char32_t c);            // C*  (Cc Cf Cs Co Cn)
bool is_mark(char32_t c);             // M*  (Mn Mc Me)
bool is_mark_nonspacing(char32_t c);  // Mn
bool is_decimal(char32_t c);          // Nd

/** The White_Space property (Rust's char::is_whitespace, regex \s). */
bool is_whitespace(char32_t c);

/** Python's str.isspace(): White_Space plus the separators U+001C..U+001F. */
bool is_python_space(char32_t c);

/** Alphabetic or numeric (Rust's char::is_alphanumeric). */
bool is_alphanumeric(char32_t c);

/** A word character as Rust's regex \w defines it (letters, marks, Nd, Pc, joiners). */
bool is_word_char(char32_t c);

/** Python's str.isprintable() for one character. */
bool is_printable(char32_t c);

/** Simple case mappings. */
char32_t to_lower(char32_t c);
char32_t to_upper(char32_t c);

/** Full lowercase mapping of one character (U+0130 maps to two), appended to out. */
void append_lower(std::string& out, char32_t c);
/** Full uppercase mapping (SpecialCasing, e.g. U+00DF -> "SS"), appended to out. */
void append_upper(std::string& out, char32_t c);
/** Full titlecase mapping, appended to out. */
void append_title(std::string& out, char32_t c);

bool is_lower(char32_t c);
bool is_upper(char32_t c);
bool is_cased(char32_t c);
/** Case-ignorable (for Python's final-sigma rule and str.istitle). */
bool is_case_ignorable(char32_t c);

/** Script id (0 = unknown/unassigned); ids are only meaningful for equality. */
int script(char32_t c);
/** Name of a script id ("Latin", "Han", ...). */
const char* script_name(int id);
/** Id of a script name, or -1. */
int script_id(std::string_view name);

enum class Form { NFC, NFD, NFKC, NFKD };

/** One stretch of input that normalises independently: bytes [in_begin, in_end)
 *  of the input became bytes [out_begin, out_end) of the output. */
struct NormChunk {
  uint32_t in_begin, in_end, out_begin, out_end;
};

/**
 * Normalises valid UTF-8 text. Returns false (and leaves `out` empty) when
 * the text is already in the requested form. Otherwise fills `out` and, when
 * `chunks` is given, the independent chunks that changed or stayed, in order,
 * covering the whole input (used to keep offsets).
 */
bool normalize(std::string_view text, Form form, std::string& out,
               std::vector<NormChunk>* chunks = nullptr);

/** The normalised text (a convenience over normalize()). */
std::string normalized(std::string_view text, Form form);

/** Python's str.lower(): full mappings and the final-sigma rule. */
std::string python_lower(std::string_view s);
/** Python's str.upper(). */
std::string python_upper(std::string_view s);

}  // namespace mlxcpp::tokenizer::unicode
