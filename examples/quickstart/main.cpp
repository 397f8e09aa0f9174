// The README's quick start: build a lazy graph, evaluate it, read the result.
#include <iostream>

#include "mlxcpp/mlxcpp.h"

namespace mx = mlxcpp;

int main() {
  auto a = mx::arange(4.0f);                            // [0, 1, 2, 3], float32
  auto b = mx::reshape(a, {2, 2});                      // a view, nothing computed yet
  auto c = mx::sum(b * 2 - 1, /* keepdims = */ false);  // (0+1+2+3)*2 - 4 = 8
  auto d = c + mx::ones({});                            // 9
  auto e = d + mx::array(1.0f);                         // 10
  std::cout << "sum = " << e.item<float>() << "\n";     // evaluates the graph
  return 0;
}
