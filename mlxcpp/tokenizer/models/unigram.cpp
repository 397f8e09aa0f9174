// Unigram: the segmentation of a piece that maximises the sum of the pieces'
// log-probabilities (Viterbi over a byte trie of the vocabulary), as
// SentencePiece's unigram model and the Hugging Face Unigram model compute it.
// Characters no piece covers become the unknown token (consecutive ones fused)
// or, with byte_fallback, <0xXX> byte tokens.
#include <array>
#include <cstdio>
#include <limits>
#include <unordered_map>

#include "mlxcpp/tokenizer/models/model.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::tokenizer {

namespace {

// SentencePiece's penalty for an unknown character, below the lowest score.
constexpr double kUnknownPenalty = 10.0;

// A byte trie of the vocabulary: edges in one hash map keyed by (node, byte).
class PieceTrie {
 public:
  void insert(std::string_view piece, int32_t id) {
    uint32_t node = 0;
    for (unsigned char b : piece) {
      const uint64_t key = edge_key(node, b);
      auto it = edges_.find(key);
      if (it == edges_.end()) {
        const auto child = static_cast<uint32_t>(ids_.size());
        ids_.push_back(-1);
        edges_.emplace(key, child);
        node = child;
      } else {
        node = it->second;
      }
    }
    ids_[node] = id;  // a duplicate piece keeps the last id, as the reference does
  }

  // Calls fn(length, id) for each piece that is a prefix of text, shortest first.
  template <typename F>
  void prefixes(std::string_view text, F&& fn) const {
    uint32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      auto it = edges_.find(edge_key(node, static_cast<unsigned char>(text[i])));
      if (it == edges_.end()) {
        return;
      }
      node = it->second;
      if (ids_[node] >= 0) {
        fn(i + 1, ids_[node]);
      }
    }
  }

 private:
  static uint64_t edge_key(uint32_t node, unsigned char b) {
    return (static_cast<uint64_t>(node) << 8) | b;
  }
  std::unordered_map<uint64_t, uint32_t> edges_;
  std::vector<int32_t> ids_ = {-1};  // node 0 is the root
};

class Unigram : public Model {
 public:
  Unigram(Vocab vocab, std::vector<double> scores, std::optional<int32_t> unk_id,
          bool byte_fallback)
      : vocab_(std::move(vocab)),
        scores_(std::move(scores)),
        unk_id_(unk_id),
        byte_fallback_(byte_fallback) {
    double min_score = std::numeric_limits<double>::max();
    for (int32_t id = 0; id < static_cast<int32_t>(scores_.size()); ++id) {
      if (const std::string* piece = vocab_.token(id)) {
        trie_.insert(*piece, id);
      }
      min_score = std::min(min_score, scores_[static_cast<size_t>(id)]);
    }
    unknown_score_ = (scores_.empty() ? 0.0 : min_score) - kUnknownPenalty;
    fallback_ids_.fill(-1);
    for (int b = 0; b < 256; ++b) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
      if (auto id = vocab_.find(hex)) {
        fallback_ids_[static_cast<size_t>(b)] = *id;
      }
    }
  }

  std::string_view type() const override { return "Unigram"; }

  void tokenize(std::string_view text, bool, std::vector<ModelToken>& out,
                ModelScratch& scratch) const override {
    if (text.empty()) {
      return;
    }
    // best[e]: the best segmentation of text[0, e); start = -1 while unreached.
    struct Node {
      double score = 0;
      int64_t start = -1;
      int32_t id = -1;
    };
    std::vector<Node> best(text.size() + 1);
    best[0].start = 0;
    size_t at = 0;
    while (at < text.size()) {
      const double base = best[at].score;
      const size_t char_len =
          std::min(utf8::lead_length(static_cast<unsigned char>(text[at])), text.size() - at);
      bool has_single_char = false;
      trie_.prefixes(text.substr(at), [&](size_t len, int32_t id) {
        Node& target = best[at + len];
        const double score = base + scores_[static_cast<size_t>(id)];
        if (target.start < 0 || score > target.score) {
          target = {score, static_cast<int64_t>(at), id};
        }
        has_single_char = has_single_char || len == char_len;
      });
      if (!has_single_char) {
        if (!unk_id_) {
          throw Error(
              "[Unigram] the text has a character no piece covers and the model has no "
              "unknown token");
        }
        Node& target = best[at + char_len];
        const double score = base + unknown_score_;
        if (target.start < 0 || score > target.score) {
          target = {score, static_cast<int64_t>(at), *unk_id_};
        }
      }
      at += char_len;
    }
    // Walk back from the end; runs of unknown pieces fuse into one.
    std::vector<std::pair<uint32_t, uint32_t>>& ranges = scratch.ranges;
    ranges.clear();
    size_t end = text.size();
    bool previous_unknown = false;
    while (end > 0) {
      const Node& node = best[end];
      const auto start = static_cast<uint32_t>(node.start);
      const bool unknown = unk_id_ && node.id == *unk_id_;
      if (unknown && previous_unknown) {
        ranges.back().first = start;
      } else {
        ranges.emplace_back(start, static_cast<uint32_t>(end));
      }
      previous_unknown = unknown;
      end = start;
    }
    for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) {
      emit(text, it->first, it->second, out);
    }
  }

  std::optional<int32_t> token_to_id(std::string_view t) const override { return vocab_.find(t); }
  const std::string* id_to_token(int32_t id) const override { return vocab_.token(id); }
  size_t vocab_size() const override { return scores_.size(); }
  const StringIdMap& vocab() const override { return vocab_.map(); }

 private:
  // The token(s) of text[b, e): the piece, its bytes as <0xXX>, or the unknown token.
  void emit(std::string_view text, uint32_t b, uint32_t e, std::vector<ModelToken>& out) const {
    const std::string_view piece = text.substr(b, e - b);
    if (auto id = vocab_.find(piece)) {
      out.push_back({*id, b, e, false});
      return;
    }
    if (byte_fallback_) {
      bool all = true;
      for (unsigned char c : piece) {
        all = all && fallback_ids_[c] >= 0;
      }
      if (all) {
        for (unsigned char c : piece) {
          out.push_back({fallback_ids_[c], b, e, false});
        }
        return;
      }
    }
    out.push_back({*unk_id_, b, e, true});
  }

  Vocab vocab_;
  std::vector<double> scores_;
  std::optional<int32_t> unk_id_;
  bool byte_fallback_;
  PieceTrie trie_;
  double unknown_score_ = 0;
  std::array<int32_t, 256> fallback_ids_{};
};

}  // namespace

std::unique_ptr<Model> make_unigram(const json& j, const std::string& where) {
  const json& list = jsonu::require(j, "vocab", where);
  if (!list.is_array()) {
    throw ConfigError(where + ".vocab: expected an array of [piece, score], got " +
                      jsonu::type_name(list));
  }
  if (list.size() > static_cast<size_t>(INT32_MAX)) {
    throw ConfigError(where + ".vocab: too many pieces");
  }
  std::vector<std::pair<std::string, int32_t>> entries;
  std::vector<double> scores;
  entries.reserve(list.size());
  scores.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number()) {
      throw ConfigError(where + ".vocab[" + std::to_string(i) + "]: expected [piece, score], got " +
                        e.dump());
    }
    entries.emplace_back(e[0].get<std::string>(), static_cast<int32_t>(i));
    scores.push_back(e[1].get<double>());
  }
  std::optional<int32_t> unk_id;
  if (j.contains("unk_id") && !j["unk_id"].is_null()) {
    const int64_t id =
        jsonu::get_int(j, "unk_id", where, 0, 0, static_cast<int64_t>(list.size()) - 1);
    unk_id = static_cast<int32_t>(id);
  }
  const bool byte_fallback = jsonu::get_bool(j, "byte_fallback", where, false);
  Vocab vocab;
  vocab.build(std::move(entries), where);
  return std::make_unique<Unigram>(std::move(vocab), std::move(scores), unk_id, byte_fallback);
}

}  // namespace mlxcpp::tokenizer
