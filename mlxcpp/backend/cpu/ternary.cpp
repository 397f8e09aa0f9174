// Select(condition, x, y): the one ternary elementwise kernel.
#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/elementwise.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

template <typename T>
void select_loop(const array& cond, const array& x, const array& y, array& out) {
  const bool* pc = cond.data<bool>();
  const T* px = x.data<T>();
  const T* py = y.data<T>();
  const bool same_dense = cond.flags().contiguous && x.flags().contiguous && y.flags().contiguous &&
                          cond.strides() == x.strides() && x.strides() == y.strides() &&
                          cond.data_size() == x.data_size() && x.data_size() == y.data_size();
  if (same_dense) {
    if (x.is_donatable()) {
      out.copy_shared_buffer(x);
    } else if (y.is_donatable()) {
      out.copy_shared_buffer(y);
    } else {
      out.set_data(allocator::malloc(x.data_size() * out.itemsize()), x.data_size(), x.strides(),
                   x.flags());
    }
    T* po = out.data<T>();
    cpu::parallel_for(static_cast<int64_t>(x.data_size()), cpu::elementwise_grain,
                      [&](int64_t b, int64_t e) {
                        for (int64_t i = b; i < e; ++i) {
                          po[i] = pc[i] ? px[i] : py[i];
                        }
                      });
    return;
  }
  out.set_data(allocator::malloc(out.nbytes()));
  T* po = out.data<T>();
  auto c = cpu::collapse_dims<4>(out.shape(),
                                 {&cond.strides(), &x.strides(), &y.strides(), &out.strides()});
  const int64_t inner = c.shape.back();
  const int64_t sc = c.strides[0].back();
  const int64_t sx = c.strides[1].back();
  const int64_t sy = c.strides[2].back();
  const int64_t so = c.strides[3].back();
  cpu::parallel_for(cpu::num_rows(c.shape),
                    std::max<int64_t>(1, cpu::elementwise_grain / std::max<int64_t>(inner, 1)),
                    [&](int64_t begin, int64_t end) {
                      cpu::RowCursor<4> cur(c, begin);
                      for (int64_t r = begin; r < end; ++r) {
                        const auto& off = cur.offsets();
                        const bool* rc = pc + off[0];
                        const T* rx = px + off[1];
                        const T* ry = py + off[2];
                        T* ro = po + off[3];
                        for (int64_t i = 0; i < inner; ++i) {
                          ro[i * so] = rc[i * sc] ? rx[i * sx] : ry[i * sy];
                        }
                        cur.next();
                      }
                    });
}

}  // namespace

void Select::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::dispatch_all_types(out.dtype(), [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    select_loop<T>(inputs[0], inputs[1], inputs[2], out);
  });
}

}  // namespace mlxcpp
