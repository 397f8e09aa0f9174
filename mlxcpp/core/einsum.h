// Einstein summation (MLX's einsum.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mlxcpp/core/array.h"
#include "mlxcpp/core/utils.h"

namespace mlxcpp {

/** The pairwise contraction order einsum uses (indices into the shrinking operand list,
 *  greedy by smallest intermediate) and a readable description of it. */
std::pair<std::vector<std::vector<int>>, std::string> einsum_path(
    const std::string& subscripts, const std::vector<array>& operands);

/** Einstein summation, e.g. "ij,jk->ik", "bhqd,bhkd->bhqk", "ii->i", "...ij,...jk". Without
 *  "->" the output is the ellipsis then the letters used once, alphabetically. */
array einsum(const std::string& subscripts, const std::vector<array>& operands,
             StreamOrDevice s = {});

}  // namespace mlxcpp
