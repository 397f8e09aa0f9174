// einsum: parse the subscripts, take diagonals for repeated letters, sum out
// letters used once, then contract operands pairwise (greedily, smallest
// intermediate first) with transposes, reshapes and one batched matmul each.
#include "mlxcpp/core/einsum.h"

#include <algorithm>
#include <map>
#include <set>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"

namespace mlxcpp {

using detail::invalid;

namespace {

// One operand during the contraction: the array and a letter per axis.
struct Term {
  array x;
  std::string letters;
};

struct Parsed {
  std::vector<std::string> inputs;  // with ellipses expanded to spare letters
  std::string output;
};

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

Parsed parse(const std::string& raw, const std::vector<array>& operands) {
  std::string subs;
  for (char c : raw) {
    if (c != ' ') {
      subs += c;
    }
  }
  Parsed p;
  const auto arrow = subs.find("->");
  const std::string lhs = subs.substr(0, arrow);
  std::vector<std::string> terms;
  size_t start = 0;
  while (true) {
    const auto comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  if (terms.size() != operands.size()) {
    invalid("einsum", "The subscripts name {} operands; got {} arrays.", terms.size(),
            operands.size());
  }
  std::set<char> used;
  for (char c : subs) {
    if (is_letter(c)) {
      used.insert(c);
    } else if (c != ',' && c != '.' && c != '-' && c != '>') {
      invalid("einsum", "Invalid character '{}' in subscripts '{}'; expected letters, ',', '...' "
              "and '->'.", c, raw);
    }
  }
  // Spare letters stand for ellipsis axes, aligned from the right.
  std::string spare;
  for (char c = 'A'; c <= 'z'; ++c) {
    if (is_letter(c) && !used.count(c)) {
      spare += c;
    }
  }
  size_t max_ellipsis = 0;
  auto expand = [&](const std::string& term, size_t ndim) {
    const auto dots = term.find("...");
    if (dots != term.find_last_of('.') - 2 && dots != std::string::npos) {
      invalid("einsum", "Only one ellipsis per subscript is allowed; got '{}'.", term);
    }
    std::string letters = term;
    size_t n = 0;
    if (dots != std::string::npos) {
      letters = term.substr(0, dots) + term.substr(dots + 3);
      if (letters.size() > ndim) {
        invalid("einsum", "Subscript '{}' has more letters than the operand's {} dimensions.",
                term, ndim);
      }
      n = ndim - letters.size();
      if (n > spare.size()) {
        invalid("einsum", "Too many ellipsis dimensions ({}).", n);
      }
      letters = term.substr(0, dots) + spare.substr(spare.size() - n) + term.substr(dots + 3);
      max_ellipsis = std::max(max_ellipsis, n);
    }
    for (char c : letters) {
      if (!is_letter(c)) {
        invalid("einsum", "Malformed subscript '{}'.", term);
      }
    }
    if (letters.size() != ndim) {
      invalid("einsum", "Subscript '{}' names {} axes for an operand with {} dimensions.", term,
              letters.size(), ndim);
    }
    return letters;
  };
  for (size_t i = 0; i < terms.size(); ++i) {
    p.inputs.push_back(expand(terms[i], operands[i].ndim()));
  }
  const std::string ellipsis = spare.substr(spare.size() - max_ellipsis);
  if (arrow != std::string::npos) {
    std::string out = subs.substr(arrow + 2);
    const auto dots = out.find("...");
    // Without "..." in the output, ellipsis axes are summed, as NumPy does.
    if (dots != std::string::npos) {
      out = out.substr(0, dots) + ellipsis + out.substr(dots + 3);
    }
    std::set<char> seen;
    for (char c : out) {
      if (!is_letter(c) || !seen.insert(c).second) {
        invalid("einsum", "Invalid output subscript '{}'.", subs.substr(arrow + 2));
      }
      bool found = false;
      for (const auto& in : p.inputs) {
        found |= in.find(c) != std::string::npos;
      }
      if (!found) {
        invalid("einsum", "Output letter '{}' does not appear in the inputs.", c);
      }
    }
    p.output = out;
  } else {
    std::map<char, int> count;
    for (const auto& in : p.inputs) {
      for (char c : in) {
        count[c]++;
      }
    }
    p.output = ellipsis;
    for (const auto& [c, n] : count) {
      if (n == 1 && ellipsis.find(c) == std::string::npos) {
        p.output += c;
      }
    }
  }
  return p;
}

// Repeated letters within a term become one axis holding the diagonal.
void take_diagonals(Term& t, StreamOrDevice s) {
  for (size_t i = 0; i < t.letters.size(); ++i) {
    const auto j = t.letters.find(t.letters[i], i + 1);
    if (j == std::string::npos) {
      continue;
    }
    if (t.x.shape(static_cast<int>(i)) != t.x.shape(static_cast<int>(j))) {
      invalid("einsum", "Repeated letter '{}' names axes of sizes {} and {}.", t.letters[i],
              t.x.shape(static_cast<int>(i)), t.x.shape(static_cast<int>(j)));
    }
    t.x = diagonal(t.x, 0, static_cast<int>(i), static_cast<int>(j), s);
    const char c = t.letters[i];
    t.letters.erase(j, 1);
    t.letters.erase(i, 1);
    t.letters += c;
    i = static_cast<size_t>(-1);  // rescan
  }
}

// Sum out letters no other term and not the output needs.
void sum_private(Term& t, const std::vector<Term>& others, const std::string& output,
                 StreamOrDevice s) {
  std::vector<int> axes;
  std::string kept;
  for (size_t i = 0; i < t.letters.size(); ++i) {
    const char c = t.letters[i];
    bool needed = output.find(c) != std::string::npos;
    for (const auto& o : others) {
      needed |= &o != &t && o.letters.find(c) != std::string::npos;
    }
    if (needed) {
      kept += c;
    } else {
      axes.push_back(static_cast<int>(i));
    }
  }
  if (!axes.empty()) {
    t.x = sum(t.x, axes, false, s);
    t.letters = kept;
  }
}

int64_t letter_size(const Term& t, char c) {
  const auto i = t.letters.find(c);
  return i == std::string::npos ? 1 : t.x.shape(static_cast<int>(i));
}

// Contract two terms: letters in both that nothing else needs are summed
// (the K of a matmul); letters in both that are needed are batch axes.
Term contract(Term a, Term b, const std::vector<const Term*>& rest, const std::string& output,
              StreamOrDevice s) {
  std::string batch, sum_letters, free_a, free_b;
  auto needed_later = [&](char c) {
    if (output.find(c) != std::string::npos) {
      return true;
    }
    for (const Term* r : rest) {
      if (r->letters.find(c) != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  for (char c : a.letters) {
    const bool in_b = b.letters.find(c) != std::string::npos;
    if (in_b) {
      (needed_later(c) ? batch : sum_letters) += c;
    } else {
      free_a += c;
    }
  }
  for (char c : b.letters) {
    if (a.letters.find(c) == std::string::npos) {
      free_b += c;
    }
  }
  // Shared letters may differ by broadcasting (size 1 against n).
  auto size_of_letter = [&](char c) {
    const int64_t sa = letter_size(a, c), sb = letter_size(b, c);
    if (sa != sb && sa != 1 && sb != 1) {
      invalid("einsum", "Letter '{}' has sizes {} and {} that do not broadcast.", c, sa, sb);
    }
    return std::max(sa, sb);
  };
  auto arrange = [&](Term& t, const std::string& order) {
    std::vector<int> perm;
    Shape shape;
    for (char c : order) {
      perm.push_back(static_cast<int>(t.letters.find(c)));
      shape.push_back(static_cast<ShapeElem>(size_of_letter(c)));
    }
    return broadcast_to(transpose(t.x, perm, s), shape, s);
  };
  auto product = [&](const std::string& letters) {
    int64_t n = 1;
    for (char c : letters) {
      n *= size_of_letter(c);
    }
    return detail::checked_dim("einsum", n);
  };
  array xa = arrange(a, batch + free_a + sum_letters);
  array xb = arrange(b, batch + sum_letters + free_b);
  const ShapeElem nb = product(batch), m = product(free_a), k = product(sum_letters),
                  n = product(free_b);
  array r = matmul(reshape(xa, {nb, m, k}, s), reshape(xb, {nb, k, n}, s), s);
  Shape out_shape;
  for (char c : batch + free_a + free_b) {
    out_shape.push_back(static_cast<ShapeElem>(size_of_letter(c)));
  }
  return Term{reshape(r, out_shape, s), batch + free_a + free_b};
}

// Greedy order: the pair whose result is smallest goes first.
std::pair<size_t, size_t> next_pair(const std::vector<Term>& terms, const std::string& output) {
  size_t best_i = 0, best_j = 1;
  double best = -1;
  for (size_t i = 0; i < terms.size(); ++i) {
    for (size_t j = i + 1; j < terms.size(); ++j) {
      std::set<char> letters(terms[i].letters.begin(), terms[i].letters.end());
      letters.insert(terms[j].letters.begin(), terms[j].letters.end());
      double size = 1;
      for (char c : letters) {
        bool keep = output.find(c) != std::string::npos;
        for (size_t r = 0; r < terms.size(); ++r) {
          keep |= r != i && r != j && terms[r].letters.find(c) != std::string::npos;
        }
        if (keep) {
          size *= double(std::max(letter_size(terms[i], c), letter_size(terms[j], c)));
        }
      }
      if (best < 0 || size < best) {
        best = size;
        best_i = i;
        best_j = j;
      }
    }
  }
  return {best_i, best_j};
}

// Runs the whole contraction; records the path when asked.
array run(const std::string& subscripts, const std::vector<array>& operands, StreamOrDevice s,
          std::vector<std::vector<int>>* path) {
  if (operands.empty()) {
    invalid("einsum", "Expected at least one operand.");
  }
  const Parsed p = parse(subscripts, operands);
  const Dtype t = result_type(operands);
  std::vector<Term> terms;
  for (size_t i = 0; i < operands.size(); ++i) {
    terms.push_back({astype(operands[i], t, s), p.inputs[i]});
    take_diagonals(terms.back(), s);
  }
  for (auto& term : terms) {
    sum_private(term, terms, p.output, s);
  }
  while (terms.size() > 1) {
    auto [i, j] = next_pair(terms, p.output);
    if (path) {
      path->push_back({static_cast<int>(i), static_cast<int>(j)});
    }
    std::vector<const Term*> rest;
    for (size_t r = 0; r < terms.size(); ++r) {
      if (r != i && r != j) {
        rest.push_back(&terms[r]);
      }
    }
    Term merged = contract(terms[i], terms[j], rest, p.output, s);
    terms.erase(terms.begin() + j);
    terms.erase(terms.begin() + i);
    terms.push_back(std::move(merged));
  }
  Term last = terms[0];
  sum_private(last, {}, p.output, s);
  std::vector<int> perm;
  for (char c : p.output) {
    perm.push_back(static_cast<int>(last.letters.find(c)));
  }
  return transpose(last.x, perm, s);
}

}  // namespace

std::pair<std::vector<std::vector<int>>, std::string> einsum_path(
    const std::string& subscripts, const std::vector<array>& operands) {
  std::vector<std::vector<int>> path;
  run(subscripts, operands, {}, &path);
  std::string text = "greedy contraction path:";
  for (const auto& step : path) {
    text += " (" + std::to_string(step[0]) + ", " + std::to_string(step[1]) + ")";
  }
  return {path, text};
}

array einsum(const std::string& subscripts, const std::vector<array>& operands, StreamOrDevice s) {
  return run(subscripts, operands, s, nullptr);
}

}  // namespace mlxcpp
