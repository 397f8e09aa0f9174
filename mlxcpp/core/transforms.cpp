#include "mlxcpp/core/transforms.h"

#include <unordered_set>
#include <utility>

#include "mlxcpp/core/primitive.h"
#include "mlxcpp/core/scheduler.h"

namespace mlxcpp {

namespace {

// What one eval has to do: the unscheduled nodes in dependency order (one
// array per node), and arrays already scheduled elsewhere to wait for.
struct Tape {
  std::vector<array> nodes;
  std::vector<array> pending;
};

// Iterative depth-first post-order walk, so a graph of any depth is fine.
Tape build_tape(const std::vector<array>& outputs) {
  Tape tape;
  std::unordered_set<std::uintptr_t> seen;
  std::vector<std::pair<array, size_t>> stack;
  auto visit = [&](const array& a) {
    switch (a.status()) {
      case array::Status::unscheduled:
        if (seen.insert(a.node_id()).second) {
          stack.emplace_back(a, 0);
        }
        break;
      case array::Status::evaluated:
        tape.pending.push_back(a);
        break;
      case array::Status::available:
        break;
    }
  };
  for (const auto& out : outputs) {
    visit(out);
    while (!stack.empty()) {
      auto& top = stack.back();
      const auto& inputs = top.first.inputs();
      if (top.second < inputs.size()) {
        array next = inputs[top.second++];
        visit(next);
      } else {
        tape.nodes.push_back(std::move(top.first));
        stack.pop_back();
      }
    }
  }
  return tape;
}

// Runs each node's kernel, then detaches it so that inputs nobody else holds
// are freed at once. Moving each node out of the tape drops the tape's
// reference, which lets kernels donate buffers of single-use inputs.
void run_tape(std::vector<array>& nodes) {
  for (auto& entry : nodes) {
    array arr = std::move(entry);
    auto outputs = arr.outputs();
    auto& primitive = arr.primitive();
    if (primitive.stream().device == Device::cpu) {
      primitive.eval_cpu(arr.inputs(), outputs);
    } else {
      primitive.eval_gpu(arr.inputs(), outputs);
    }
    for (auto& o : outputs) {
      o.set_status(array::Status::available);
    }
    arr.detach();
  }
}

}  // namespace

void eval(std::vector<array> outputs) {
  Tape tape = build_tape(outputs);
  for (auto& p : tape.pending) {
    p.wait();
  }
  run_tape(tape.nodes);
}

void async_eval(std::vector<array> outputs) {
  Tape tape = build_tape(outputs);
  if (tape.nodes.empty()) {
    return;
  }
  auto event = std::make_shared<Event>();
  for (auto& node : tape.nodes) {
    for (auto& o : node.outputs()) {
      o.attach_event(event);
      o.set_status(array::Status::evaluated);
    }
  }
  Stream stream = tape.nodes.back().primitive().stream();
  scheduler::enqueue(stream, [tape = std::move(tape), event]() mutable {
    try {
      for (auto& p : tape.pending) {
        p.wait();
      }
      run_tape(tape.nodes);
      event->signal();
    } catch (...) {
      event->signal(std::current_exception());
    }
  });
}

}  // namespace mlxcpp
