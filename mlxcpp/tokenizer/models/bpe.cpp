// BPE: a word starts as one symbol per character (or per byte for byte-level
// vocabularies) and adjacent pairs merge in the order of the merge list.
// Merging uses a heap of candidate pairs, so a word of n symbols costs
// O(n log n): a long run of one character does not blow up quadratically.
#include <algorithm>
#include <array>
#include <cstdio>

#include "mlxcpp/tokenizer/byte_level.h"
#include "mlxcpp/tokenizer/models/model.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::tokenizer {

namespace {

// Open-addressing map from a pair of ids to (rank, merged id).
class MergeMap {
 public:
  struct Value {
    uint32_t rank;
    int32_t id;
  };

  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n + 16) {
      cap <<= 1;
    }
    keys_.assign(cap, kEmpty);
    values_.assign(cap, Value{0, 0});
    mask_ = cap - 1;
  }

  void insert_or_assign(int32_t a, int32_t b, Value v) {
    const uint64_t key = pack(a, b);
    size_t i = slot(key);
    while (keys_[i] != kEmpty && keys_[i] != key) {
      i = (i + 1) & mask_;
    }
    if (keys_[i] == kEmpty) {
      ++size_;
    }
    keys_[i] = key;
    values_[i] = v;
  }

  const Value* find(int32_t a, int32_t b) const {
    const uint64_t key = pack(a, b);
    size_t i = slot(key);
    while (keys_[i] != kEmpty) {
      if (keys_[i] == key) {
        return &values_[i];
      }
      i = (i + 1) & mask_;
    }
    return nullptr;
  }

  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  static uint64_t pack(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  size_t slot(uint64_t key) const {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return static_cast<size_t>(key) & mask_;
  }

  std::vector<uint64_t> keys_;
  std::vector<Value> values_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

constexpr size_t kCacheMaxWordBytes = 256;
constexpr size_t kCacheMaxEntries = 1 << 16;

struct Symbol {
  int32_t id;
  uint32_t begin, end;
  int32_t prev, next;
};

struct Candidate {
  uint32_t rank;
  int32_t pos;
  int32_t id;
};

// The heap pops the lowest rank, then the leftmost position.
struct CandidateOrder {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  }
};

class Bpe : public Model {
 public:
  struct Options {
    std::string unk, prefix, suffix;
    bool has_unk = false, fuse_unk = false, byte_fallback = false, ignore_merges = false;
  };

  Bpe(Vocab vocab, MergeMap merges, Options o)
      : vocab_(std::move(vocab)), merges_(std::move(merges)), o_(std::move(o)) {
    byte_ids_.fill(-1);
    fallback_ids_.fill(-1);
    for (int b = 0; b < 256; ++b) {
      if (auto id = vocab_.find(byte_level::byte_to_char_utf8(static_cast<unsigned char>(b)))) {
        byte_ids_[static_cast<size_t>(b)] = *id;
      }
      char hex[8];
      std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
      if (auto id = vocab_.find(hex)) {
        fallback_ids_[static_cast<size_t>(b)] = *id;
      }
    }
    all_bytes_ =
        std::all_of(byte_ids_.begin(), byte_ids_.end(), [](int32_t id) { return id >= 0; });
    if (o_.ignore_merges) {
      // Whole-word lookups of byte-level pieces use the raw bytes of each entry.
      for (const auto& [tok, id] : vocab_.map()) {
        std::string raw;
        if (byte_level::decode(tok, raw)) {
          raw_vocab_.emplace(std::move(raw), id);
        }
      }
    }
    if (o_.has_unk) {
      unk_id_ = vocab_.find(o_.unk);
    }
  }

  std::string_view type() const override { return "BPE"; }
  bool supports_byte_level() const override { return true; }

  void tokenize(std::string_view text, bool byte_level, std::vector<ModelToken>& out,
                ModelScratch& scratch) const override {
    if (text.empty()) {
      return;
    }
    const auto n = static_cast<uint32_t>(text.size());
    if (o_.ignore_merges) {
      const auto& map = byte_level ? raw_vocab_ : vocab_.map();
      auto it = map.find(text);
      if (it != map.end()) {
        out.push_back({it->second, 0, n, false});
        return;
      }
    }
    const bool cacheable = text.size() < kCacheMaxWordBytes;
    if (cacheable) {
      scratch.key.assign(1, byte_level ? '\1' : '\0');
      scratch.key.append(text);
      auto it = scratch.cache.find(scratch.key);
      if (it != scratch.cache.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    const size_t first = out.size();
    std::vector<Symbol> symbols;
    symbols.reserve(text.size());
    initial_symbols(text, byte_level, symbols);
    merge(symbols);
    for (const auto& s : symbols) {
      if (s.id >= 0) {
        out.push_back({s.id, std::min(s.begin, n), std::min(s.end, n), false});
      }
    }
    if (cacheable && scratch.cache.size() < kCacheMaxEntries) {
      scratch.cache.emplace(
          scratch.key,
          std::vector<ModelToken>(out.begin() + static_cast<ptrdiff_t>(first), out.end()));
    }
  }

  std::optional<int32_t> token_to_id(std::string_view t) const override { return vocab_.find(t); }
  const std::string* id_to_token(int32_t id) const override { return vocab_.token(id); }
  size_t vocab_size() const override { return vocab_.size(); }
  const StringIdMap& vocab() const override { return vocab_.map(); }

 private:
  void initial_symbols(std::string_view text, bool byte_level, std::vector<Symbol>& symbols) const {
    if (byte_level && all_bytes_ && o_.prefix.empty() && o_.suffix.empty()) {
      for (size_t i = 0; i < text.size(); ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        symbols.push_back(
            {byte_ids_[b], static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1), 0, 0});
      }
      return;
    }
    if (byte_level) {
      // Rare: look the alphabet characters up as text; each stands for one input byte.
      char_symbols(byte_level::encode(text), true, symbols);
    } else {
      char_symbols(text, false, symbols);
    }
  }

  // One symbol per character of s; with `one_byte_each` every character stands
  // for one byte of the piece (a byte-level string), else for its own bytes.
  void char_symbols(std::string_view s, bool one_byte_each, std::vector<Symbol>& symbols) const {
    std::string buf;
    std::optional<Symbol> unk;
    uint32_t pos = 0;
    size_t i = 0;
    while (i < s.size()) {
      const size_t b = i;
      utf8::next(s, i);
      const auto src_len = static_cast<uint32_t>(one_byte_each ? 1 : i - b);
      const Symbol here{0, pos, pos + src_len, 0, 0};
      pos += src_len;
      buf.clear();
      if (b > 0) {
        buf += o_.prefix;
      }
      buf.append(s.substr(b, i - b));
      if (i == s.size()) {
        buf += o_.suffix;
      }
      if (auto id = vocab_.find(buf)) {
        if (unk) {
          symbols.push_back(*unk);
          unk.reset();
        }
        symbols.push_back({*id, here.begin, here.end, 0, 0});
        continue;
      }
      if (o_.byte_fallback && fallback(buf, here, symbols)) {
        continue;
      }
      if (!o_.has_unk) {
        continue;  // no unknown token: the character is dropped, as in the reference
      }
      if (!unk_id_) {
        throw Error("[BPE] the unknown token \"" + o_.unk + "\" is not in the vocabulary");
      }
      if (unk && o_.fuse_unk) {
        unk->end = here.end;
      } else {
        if (unk) {
          symbols.push_back(*unk);
        }
        unk = Symbol{*unk_id_, here.begin, here.end, 0, 0};
      }
    }
    if (unk) {
      symbols.push_back(*unk);
    }
  }

  // <0xXX> tokens for every byte of `piece`; false when one is missing.
  bool fallback(std::string_view piece, const Symbol& here, std::vector<Symbol>& symbols) const {
    for (unsigned char c : piece) {
      if (fallback_ids_[c] < 0) {
        return false;
      }
    }
    uint32_t p = here.begin;
    for (unsigned char c : piece) {
      const uint32_t e = std::min(p + 1, here.end);
      symbols.push_back({fallback_ids_[c], p, std::max(e, p), 0, 0});
      p = e;
    }
    return true;
  }

  void merge(std::vector<Symbol>& symbols) const {
    const auto n = static_cast<int32_t>(symbols.size());
    if (n < 2) {
      return;
    }
    for (int32_t i = 0; i < n; ++i) {
      symbols[static_cast<size_t>(i)].prev = i - 1;
      symbols[static_cast<size_t>(i)].next = i + 1 < n ? i + 1 : -1;
    }
    std::vector<Candidate> heap;
    heap.reserve(static_cast<size_t>(n));
    for (int32_t i = 0; i + 1 < n; ++i) {
      if (const auto* m = merges_.find(symbols[static_cast<size_t>(i)].id,
                                       symbols[static_cast<size_t>(i + 1)].id)) {
        heap.push_back({m->rank, i, m->id});
      }
    }
    const CandidateOrder order;
    std::make_heap(heap.begin(), heap.end(), order);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), order);
      const Candidate top = heap.back();
      heap.pop_back();
      Symbol& cur = symbols[static_cast<size_t>(top.pos)];
      if (cur.id < 0 || cur.next < 0) {
        continue;
      }
      Symbol& right = symbols[static_cast<size_t>(cur.next)];
      const auto* m = merges_.find(cur.id, right.id);
      if (m == nullptr || m->id != top.id) {
        continue;  // stale candidate: one side has merged since
      }
      cur.id = top.id;
      cur.end = right.end;
      cur.next = right.next;
      right.id = -1;
      if (cur.next >= 0) {
        symbols[static_cast<size_t>(cur.next)].prev = top.pos;
      }
      if (cur.prev >= 0) {
        const Symbol& left = symbols[static_cast<size_t>(cur.prev)];
        if (const auto* lm = merges_.find(left.id, cur.id)) {
          heap.push_back({lm->rank, cur.prev, lm->id});
          std::push_heap(heap.begin(), heap.end(), order);
        }
      }
      if (cur.next >= 0) {
        if (const auto* rm = merges_.find(cur.id, symbols[static_cast<size_t>(cur.next)].id)) {
          heap.push_back({rm->rank, top.pos, rm->id});
          std::push_heap(heap.begin(), heap.end(), order);
        }
      }
    }
  }

  Vocab vocab_;
  MergeMap merges_;
  Options o_;
  std::optional<int32_t> unk_id_;
  std::array<int32_t, 256> byte_ids_{};
  std::array<int32_t, 256> fallback_ids_{};
  bool all_bytes_ = false;
  StringIdMap raw_vocab_;
};

// The merge list: ["a b", ...] (legacy) or [["a", "b"], ...].
std::vector<std::pair<std::string, std::string>> read_merges(const json& j,
                                                             const std::string& where) {
  if (!j.is_array()) {
    throw ConfigError(where + ": expected an array, got " + jsonu::type_name(j));
  }
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(j.size());
  size_t line = 0;
  for (const auto& m : j) {
    if (m.is_string()) {
      const auto& s = m.get_ref<const std::string&>();
      if (s.rfind("#version", 0) == 0) {
        continue;
      }
      ++line;
      const size_t sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos) {
        throw ConfigError(where + "[" + std::to_string(line - 1) + "]: \"" + s +
                          "\" is not two tokens separated by one space");
      }
      out.emplace_back(s.substr(0, sp), s.substr(sp + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      ++line;
      out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      throw ConfigError(where + "[" + std::to_string(line) +
                        "]: expected \"a b\" or [\"a\", \"b\"], got " + m.dump());
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<Model> make_bpe(const json& j, const std::string& where) {
  Bpe::Options o;
  if (j.contains("unk_token") && !j["unk_token"].is_null()) {
    o.unk = jsonu::get_string(j, "unk_token", where);
    o.has_unk = true;
  }
  o.prefix = jsonu::get_string(j, "continuing_subword_prefix", where, "");
  o.suffix = jsonu::get_string(j, "end_of_word_suffix", where, "");
  o.fuse_unk = jsonu::get_bool(j, "fuse_unk", where, false);
  o.byte_fallback = jsonu::get_bool(j, "byte_fallback", where, false);
  o.ignore_merges = jsonu::get_bool(j, "ignore_merges", where, false);
  const double dropout = jsonu::get_double(j, "dropout", where, 0.0);
  if (dropout < 0.0 || dropout > 1.0) {
    throw ConfigError(where + ".dropout: " + std::to_string(dropout) + " is not in [0, 1]");
  }

  Vocab vocab;
  vocab.build(read_vocab_object(jsonu::require(j, "vocab", where), where + ".vocab"), where);
  const auto pairs = read_merges(jsonu::require(j, "merges", where), where + ".merges");
  MergeMap merges;
  merges.reserve(pairs.size());
  std::string joined;
  for (size_t rank = 0; rank < pairs.size(); ++rank) {
    const auto& [a, b] = pairs[rank];
    const auto a_id = vocab.find(a);
    const auto b_id = vocab.find(b);
    if (!a_id || !b_id) {
      throw ConfigError(where + ".merges[" + std::to_string(rank) + "]: token \"" + (a_id ? b : a) +
                        "\" is not in the vocabulary");
    }
    if (b.size() < o.prefix.size()) {
      throw ConfigError(where + ".merges[" + std::to_string(rank) + "]: \"" + b +
                        "\" is shorter than the subword prefix");
    }
    joined.assign(a);
    joined.append(b, o.prefix.size(), std::string::npos);
    const auto new_id = vocab.find(joined);
    if (!new_id) {
      throw ConfigError(where + ".merges[" + std::to_string(rank) + "]: the merged token \"" +
                        joined + "\" is not in the vocabulary");
    }
    merges.insert_or_assign(*a_id, *b_id, {static_cast<uint32_t>(rank), *new_id});
  }
  return std::make_unique<Bpe>(std::move(vocab), std::move(merges), std::move(o));
}

}  // namespace mlxcpp::tokenizer
