#include "mlxcpp/tokenizer/jinja/interpreter.h"

#include <cmath>
#include <unordered_map>

#include "mlxcpp/tokenizer/jinja/builtins.h"
#include "mlxcpp/tokenizer/jinja/operators.h"

namespace mlxcpp::jinja {

namespace {

enum class Flow { Normal, Break, Continue };

class Interpreter : public Environment {
 public:
  Interpreter(const Dict& variables, const RenderLimits& limits) : limits_(limits) {
    scopes_.emplace_back();
    for (auto& [k, v] : global_functions()) {
      scopes_.back()[k] = v;
    }
    for (const auto& [k, v] : variables) {
      scopes_.back()[k] = v;
    }
  }

  std::string run(const Program& p) {
    std::string out;
    if (exec_body(p.body, out) != Flow::Normal) {
      type_error("'break' or 'continue' outside a loop");
    }
    return out;
  }

  // --- Environment ------------------------------------------------------------
  Value apply_filter(std::string_view name, const Value& operand, CallArgs& args) override {
    Value result;
    if (!call_filter(*this, name, operand, args, result)) {
      type_error("no filter named '" + std::string(name) + "'");
    }
    return result;
  }

  bool apply_test(std::string_view name, const Value& operand, CallArgs& args) override {
    bool result = false;
    if (!call_test(*this, name, operand, args, result)) {
      type_error("no test named '" + std::string(name) + "'");
    }
    return result;
  }

  Value call(const Value& callee, CallArgs& args) override {
    if (callee.is_undefined()) {
      undefined_error(callee);
    }
    if (!callee.is_function()) {
      type_error("'" + callee.type_name() + "' object is not callable");
    }
    if (++call_depth_ > limits_.max_call_depth) {
      --call_depth_;
      throw TemplateError("[chat template] calls nest deeper than " +
                          std::to_string(limits_.max_call_depth) + " (runaway recursion?)");
    }
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{call_depth_};
    return callee.as_function()(args);
  }

  void tick() override {
    if (++iterations_ > limits_.max_loop_iterations) {
      throw TemplateError("[chat template] more than " +
                          std::to_string(limits_.max_loop_iterations) +
                          " loop iterations (runaway loop?)");
    }
  }

  void check_size(size_t size, std::string_view what) override {
    if (size > limits_.max_output_bytes) {
      throw TemplateError("[chat template] " + std::string(what) + " of " + std::to_string(size) +
                          " exceeds the limit of " + std::to_string(limits_.max_output_bytes));
    }
  }

  const RenderLimits& limits() const override { return limits_; }

 private:
  using Scope = std::unordered_map<std::string, Value>;

  void write(std::string& out, std::string_view s) {
    out.append(s);
    check_size(out.size(), "the output");
  }

  // --- statements -------------------------------------------------------------
  Flow exec_body(const Body& body, std::string& out) {
    for (const auto& s : body) {
      const Flow f = exec(*s, out);
      if (f != Flow::Normal) {
        return f;
      }
    }
    return Flow::Normal;
  }

  Flow exec(const Stmt& s, std::string& out) {
    switch (s.kind) {
      case Stmt::Kind::Text:
        write(out, s.text);
        return Flow::Normal;
      case Stmt::Kind::Output:
        write(out, to_str(eval(*s.expr)));
        return Flow::Normal;
      case Stmt::Kind::If:
        for (size_t i = 0; i < s.conditions.size(); ++i) {
          if (eval(*s.conditions[i]).truthy()) {
            return exec_body(s.bodies[i], out);
          }
        }
        return exec_body(s.else_body, out);
      case Stmt::Kind::For:
        return exec_for(s, out);
      case Stmt::Kind::Set:
        exec_set(s);
        return Flow::Normal;
      case Stmt::Kind::SetBlock: {
        std::string text;
        exec_body(s.body, text);
        assign(s.targets[0], apply_filters(s.filters, Value(std::move(text))));
        return Flow::Normal;
      }
      case Stmt::Kind::Macro:
        assign(s.text, make_macro(s));
        return Flow::Normal;
      case Stmt::Kind::CallBlock:
        write(out, to_str(exec_call_block(s)));
        return Flow::Normal;
      case Stmt::Kind::FilterBlock: {
        std::string text;
        exec_body(s.body, text);
        write(out, to_str(apply_filters(s.filters, Value(std::move(text)))));
        return Flow::Normal;
      }
      case Stmt::Kind::Break:
        return Flow::Break;
      case Stmt::Kind::Continue:
        return Flow::Continue;
    }
    return Flow::Normal;
  }

  Value apply_filters(const std::vector<ExprPtr>& filters, Value v) {
    for (const auto& f : filters) {
      CallArgs args = eval_args(f->args);
      v = apply_filter(f->name, v, args);
    }
    return v;
  }

  void assign(const std::string& name, Value v) { scopes_.back()[name] = std::move(v); }

  void assign_targets(const std::vector<std::string>& targets, const Value& v) {
    if (targets.size() == 1) {
      assign(targets[0], v);
      return;
    }
    const List items = iterate(v);
    if (items.size() != targets.size()) {
      type_error("cannot unpack " + std::to_string(items.size()) + " values into " +
                 std::to_string(targets.size()) + " names");
    }
    for (size_t i = 0; i < targets.size(); ++i) {
      assign(targets[i], items[i]);
    }
  }

  void exec_set(const Stmt& s) {
    Value v = eval(*s.expr);
    if (s.attr.empty()) {
      assign_targets(s.targets, v);
      return;
    }
    const Value target = lookup(s.targets[0]);
    if (!target.is_namespace()) {
      type_error("cannot assign attribute '" + s.attr + "' on a non-namespace object");
    }
    if (reaches(v, target)) {
      type_error("a namespace cannot contain itself");
    }
    target.set(s.attr, std::move(v));
  }

  Flow exec_for(const Stmt& s, std::string& out) {
    List items;
    const Value iterable = eval(*s.expr);
    if (s.cond) {
      // The loop filter sees each item under the loop's names.
      scopes_.emplace_back();
      for (const Value& item : iterate(iterable)) {
        tick();
        assign_targets(s.targets, item);
        if (eval(*s.cond).truthy()) {
          items.push_back(item);
        }
      }
      scopes_.pop_back();
    } else {
      items = iterate(iterable);
    }
    if (items.empty()) {
      return exec_body(s.else_body, out);
    }
    for (size_t i = 0; i < items.size(); ++i) {
      tick();
      scopes_.emplace_back();
      assign("loop", loop_object(items, i));
      assign_targets(s.targets, items[i]);
      const Flow f = exec_body(s.body, out);
      scopes_.pop_back();
      if (f == Flow::Break) {
        break;
      }
    }
    return Flow::Normal;
  }

  static Value loop_object(const List& items, size_t i) {
    const auto n = static_cast<int64_t>(items.size());
    const auto k = static_cast<int64_t>(i);
    Dict d = {{"index", Value(k + 1)},
              {"index0", Value(k)},
              {"revindex", Value(n - k)},
              {"revindex0", Value(n - k - 1)},
              {"first", Value(k == 0)},
              {"last", Value(k == n - 1)},
              {"length", Value(n)},
              {"depth", Value(int64_t{1})},
              {"depth0", Value(int64_t{0})},
              {"previtem", k > 0 ? items[i - 1] : Value::undefined("there is no previous item")},
              {"nextitem", k + 1 < n ? items[i + 1] : Value::undefined("there is no next item")}};
    d.emplace_back("cycle",
                   Value::function(
                       [k](CallArgs& args) {
                         if (args.positional.empty()) {
                           type_error("loop.cycle needs at least one argument");
                         }
                         return args.positional[static_cast<size_t>(k) % args.positional.size()];
                       },
                       "cycle"));
    return Value(std::move(d));
  }

  // A macro: a function that runs the body with its parameters bound.
  Value make_macro(const Stmt& s) {
    const Stmt* def = &s;
    return Value::function(
        [this, def](CallArgs& args) {
          Scope frame;
          for (size_t i = 0; i < def->params.size(); ++i) {
            const auto& [name, default_expr] = def->params[i];
            if (args.has(i, name)) {
              frame[name] = args.get(i, name);
            } else if (default_expr) {
              frame[name] = eval(*default_expr);
            } else {
              frame[name] = Value::undefined("'" + name + "' is undefined");
            }
          }
          if (args.positional.size() > def->params.size()) {
            type_error("macro '" + def->text + "' takes " + std::to_string(def->params.size()) +
                       " arguments, got " + std::to_string(args.positional.size()));
          }
          for (const auto& [k, v] : args.keyword) {
            if (k == "caller") {
              frame["caller"] = v;  // set by {% call %}
            } else if (frame.find(k) == frame.end()) {
              type_error("macro '" + def->text + "' has no parameter '" + k + "'");
            }
          }
          // The body sees the template's top-level names and its own.
          std::vector<Scope> saved;
          saved.swap(scopes_);
          scopes_.push_back(saved.front());
          scopes_.push_back(std::move(frame));
          std::string text;
          try {
            exec_body(def->body, text);
          } catch (...) {
            scopes_.swap(saved);
            throw;
          }
          scopes_.swap(saved);
          return Value(std::move(text));
        },
        s.text.empty() ? "caller" : s.text);
  }

  Value exec_call_block(const Stmt& s) {
    // caller() renders the block's body; the call expression's callee gets it.
    const Value caller = make_macro(s);
    const Expr& call_expr = *s.expr;
    const Value callee = eval(*call_expr.a);
    if (!callee.is_function()) {
      type_error("{% call %} of a value that is not a macro");
    }
    CallArgs args = eval_args(call_expr.args);
    args.keyword.emplace_back("caller", caller);
    return call(callee, args);
  }

  // --- expressions ------------------------------------------------------------
  Value lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(name);
      if (f != it->end()) {
        return f->second;
      }
    }
    return Value::undefined("'" + name + "' is undefined");
  }

  CallArgs eval_args(const ArgList& a) {
    CallArgs args;
    for (const auto& e : a.positional) {
      args.positional.push_back(eval(*e));
    }
    for (const auto& [k, e] : a.keyword) {
      args.keyword.emplace_back(k, eval(*e));
    }
    return args;
  }

  Value eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::Literal:
        return e.value;
      case Expr::Kind::Name:
        return lookup(e.name);
      case Expr::Kind::List:
      case Expr::Kind::Tuple: {
        List l;
        for (const auto& item : e.items) {
          l.push_back(eval(*item));
        }
        return e.kind == Expr::Kind::Tuple ? Value::make_tuple(std::move(l)) : Value(std::move(l));
      }
      case Expr::Kind::Dict: {
        Value d{Dict{}};
        for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
          const Value key = eval(*e.items[i]);
          d.set(key.is_string() ? key.as_string() : to_str(key), eval(*e.items[i + 1]));
        }
        return d;
      }
      case Expr::Kind::GetAttr:
        return get_attr(eval(*e.a), e.name);
      case Expr::Kind::GetItem:
        return get_item(eval(*e.a), eval(*e.b));
      case Expr::Kind::Slice:
        return eval_slice(e);
      case Expr::Kind::Call:
        return eval_call(e);
      case Expr::Kind::Filter: {
        const Value operand = eval(*e.a);
        CallArgs args = eval_args(e.args);
        return apply_filter(e.name, operand, args);
      }
      case Expr::Kind::Test: {
        const Value operand = eval(*e.a);
        CallArgs args = eval_args(e.args);
        return Value(apply_test(e.name, operand, args) != e.negated);
      }
      case Expr::Kind::Unary:
        return unary_op(e.name, eval(*e.a));
      case Expr::Kind::Binary:
        return eval_binary(e);
      case Expr::Kind::Condition:
        if (eval(*e.items[1]).truthy()) {
          return eval(*e.items[0]);
        }
        return e.items[2] ? eval(*e.items[2]) : Value::undefined("the condition was false");
    }
    return Value();
  }

  Value eval_binary(const Expr& e) {
    if (e.name == "and") {
      Value l = eval(*e.a);
      return l.truthy() ? eval(*e.b) : l;
    }
    if (e.name == "or") {
      Value l = eval(*e.a);
      return l.truthy() ? l : eval(*e.b);
    }
    const Value l = eval(*e.a);
    const Value r = eval(*e.b);
    Value result = binary_op(e.name, l, r);
    if (result.is_string()) {
      check_size(result.as_string().size(), "a string");
    } else if (result.is_list()) {
      check_size(result.as_list().size(), "a list");
    }
    return result;
  }

  Value eval_slice(const Expr& e) {
    const Value obj = eval(*e.a);
    std::optional<int64_t> bounds[3];
    for (size_t i = 0; i < 3; ++i) {
      if (e.items[i]) {
        const Value v = eval(*e.items[i]);
        if (!v.is_none()) {
          if (!v.is_int() && !v.is_bool()) {
            type_error("slice indices must be integers or None");
          }
          bounds[i] = v.as_int();
        }
      }
    }
    return slice_value(obj, bounds[0], bounds[1], bounds[2]);
  }

  Value eval_call(const Expr& e) {
    if (e.a->kind == Expr::Kind::GetAttr) {
      const Value obj = eval(*e.a->a);
      if (obj.is_undefined()) {
        undefined_error(obj);
      }
      CallArgs args = eval_args(e.args);
      Value result;
      if (!obj.is_namespace() && call_method(*this, obj, e.a->name, args, result)) {
        if (result.is_string()) {
          check_size(result.as_string().size(), "a string");
        }
        return result;
      }
      return call(get_attr(obj, e.a->name), args);
    }
    const Value callee = eval(*e.a);
    CallArgs args = eval_args(e.args);
    return call(callee, args);
  }

  RenderLimits limits_;
  std::vector<Scope> scopes_;
  uint64_t iterations_ = 0;
  int call_depth_ = 0;

  std::unordered_map<std::string, Value> global_functions() { return make_globals(*this); }
};

}  // namespace

std::string render_program(const Program& program, const Dict& variables,
                           const RenderLimits& limits) {
  Interpreter it(variables, limits);
  return it.run(program);
}

}  // namespace mlxcpp::jinja
