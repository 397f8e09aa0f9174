// A recursive-descent parser with Jinja2's precedence: conditional, or, and,
// not, comparisons, + -, ~, * / // %, **, unary, then postfix (attribute,
// item, call) and filters/tests.
#include "mlxcpp/tokenizer/jinja/parser.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "mlxcpp/core/errors.h"

namespace mlxcpp::jinja {

namespace {

// A hostile template must not exhaust the stack through nesting, nor through
// long left-deep chains such as 1+1+1+... (evaluated and freed recursively).
constexpr int kMaxNesting = 200;
constexpr int kMaxExpressionDepth = 1000;

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Program run() {
    Program p;
    p.body = parse_body({});
    if (!at(Token::Kind::End)) {
      fail("unexpected {% " + peek_block_name() + " %}");
    }
    return p;
  }

 private:
  // --- token helpers ---------------------------------------------------------
  const Token& cur() const { return t_[i_]; }
  bool at(Token::Kind k) const { return cur().kind == k; }
  bool at_op(std::string_view op) const { return at(Token::Kind::Operator) && cur().value == op; }
  bool at_name(std::string_view n) const { return at(Token::Kind::Name) && cur().value == n; }
  const Token& next() {
    const Token& t = t_[i_];
    if (t.kind != Token::Kind::End) {
      ++i_;
    }
    return t;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw TemplateError("[chat template] syntax error on line " + std::to_string(cur().line) +
                        ": " + what);
  }
  void expect_op(std::string_view op) {
    if (!at_op(op)) {
      fail("expected '" + std::string(op) + "', got " + describe());
    }
    next();
  }
  void expect(Token::Kind k, const char* what) {
    if (!at(k)) {
      fail(std::string("expected ") + what + ", got " + describe());
    }
    next();
  }
  std::string expect_name() {
    if (!at(Token::Kind::Name)) {
      fail("expected a name, got " + describe());
    }
    return next().value;
  }
  std::string describe() const {
    switch (cur().kind) {
      case Token::Kind::End:
        return "the end of the template";
      case Token::Kind::BlockEnd:
        return "'%}'";
      case Token::Kind::VarEnd:
        return "'}}'";
      case Token::Kind::Text:
        return "text";
      default:
        return "'" + cur().value + "'";
    }
  }
  std::string peek_block_name() const {
    if (i_ + 1 < t_.size() && t_[i_ + 1].kind == Token::Kind::Name) {
      return t_[i_ + 1].value;
    }
    return "?";
  }
  struct Depth {
    explicit Depth(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxNesting) {
        p_.fail("the template nests deeper than " + std::to_string(kMaxNesting) + " levels");
      }
    }
    ~Depth() { --p_.depth_; }
    Parser& p_;
  };
  ExprPtr make(Expr::Kind k) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->line = cur().line;
    return e;
  }

  // Records the depth of a new node's tree; a tree too deep is an error.
  ExprPtr checked(ExprPtr e) {
    int d = 0;
    auto see = [&d](const ExprPtr& c) {
      if (c) {
        d = std::max(d, c->depth);
      }
    };
    see(e->a);
    see(e->b);
    for (const auto& c : e->items) {
      see(c);
    }
    for (const auto& c : e->args.positional) {
      see(c);
    }
    for (const auto& [k, c] : e->args.keyword) {
      see(c);
    }
    e->depth = d + 1;
    if (e->depth > kMaxExpressionDepth) {
      fail("the expression is nested deeper than " + std::to_string(kMaxExpressionDepth) +
           " levels");
    }
    return e;
  }

  // --- statements -------------------------------------------------------------
  // Statements until a {% tag %} whose name is in `stops` (left unconsumed).
  Body parse_body(const std::vector<std::string_view>& stops) {
    Depth d(*this);
    Body body;
    while (!at(Token::Kind::End)) {
      if (at(Token::Kind::Text)) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::Text;
        s->line = cur().line;
        s->text = next().value;
        body.push_back(std::move(s));
      } else if (at(Token::Kind::VarBegin)) {
        next();
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::Output;
        s->line = cur().line;
        s->expr = parse_expression();
        expect(Token::Kind::VarEnd, "'}}'");
        body.push_back(std::move(s));
      } else if (at(Token::Kind::BlockBegin)) {
        const std::string name = peek_block_name();
        if (std::find(stops.begin(), stops.end(), name) != stops.end()) {
          return body;
        }
        next();
        if (auto s = parse_statement()) {
          body.push_back(std::move(s));
        }
      } else {
        fail("unexpected " + describe());
      }
    }
    if (!stops.empty()) {
      fail("missing {% " + std::string(stops.back()) + " %}");
    }
    return body;
  }

  // Consumes "{% name" of an end tag and the "%}".
  void end_tag(std::string_view name) {
    expect(Token::Kind::BlockBegin, "'{%'");
    if (!at_name(name)) {
      fail("expected {% " + std::string(name) + " %}, got " + describe());
    }
    next();
    expect(Token::Kind::BlockEnd, "'%}'");
  }

  StmtPtr stmt(Stmt::Kind k) {
    auto s = std::make_unique<Stmt>();
    s->kind = k;
    s->line = cur().line;
    return s;
  }

  StmtPtr parse_statement() {
    const std::string kw = expect_name();
    if (kw == "if") {
      return parse_if();
    }
    if (kw == "for") {
      return parse_for();
    }
    if (kw == "set") {
      return parse_set();
    }
    if (kw == "macro") {
      return parse_macro();
    }
    if (kw == "call") {
      return parse_call_block();
    }
    if (kw == "filter") {
      return parse_filter_block();
    }
    if (kw == "break" || kw == "continue") {
      auto s = stmt(kw == "break" ? Stmt::Kind::Break : Stmt::Kind::Continue);
      expect(Token::Kind::BlockEnd, "'%}'");
      return s;
    }
    if (kw == "generation" || kw == "endgeneration") {
      // transformers' assistant-mask markers: no output of their own.
      expect(Token::Kind::BlockEnd, "'%}'");
      return nullptr;
    }
    fail("unknown or misplaced tag {% " + kw + " %}");
  }

  StmtPtr parse_if() {
    auto s = stmt(Stmt::Kind::If);
    s->conditions.push_back(parse_expression());
    expect(Token::Kind::BlockEnd, "'%}'");
    s->bodies.push_back(parse_body({"elif", "else", "endif"}));
    while (true) {
      expect(Token::Kind::BlockBegin, "'{%'");
      const std::string kw = expect_name();
      if (kw == "elif") {
        s->conditions.push_back(parse_expression());
        expect(Token::Kind::BlockEnd, "'%}'");
        s->bodies.push_back(parse_body({"elif", "else", "endif"}));
      } else if (kw == "else") {
        expect(Token::Kind::BlockEnd, "'%}'");
        s->else_body = parse_body({"endif"});
        end_tag("endif");
        return s;
      } else {  // endif
        expect(Token::Kind::BlockEnd, "'%}'");
        return s;
      }
    }
  }

  std::vector<std::string> parse_targets() {
    std::vector<std::string> names;
    const bool paren = at_op("(");
    if (paren) {
      next();
    }
    names.push_back(expect_name());
    while (at_op(",")) {
      next();
      names.push_back(expect_name());
    }
    if (paren) {
      expect_op(")");
    }
    return names;
  }

  StmtPtr parse_for() {
    auto s = stmt(Stmt::Kind::For);
    s->targets = parse_targets();
    if (!at_name("in")) {
      fail("expected 'in', got " + describe());
    }
    next();
    s->expr = parse_condition_free();
    if (at_name("if")) {
      next();
      s->cond = parse_condition_free();
    }
    if (at_name("recursive")) {
      fail("recursive loops are not supported");
    }
    expect(Token::Kind::BlockEnd, "'%}'");
    s->body = parse_body({"else", "endfor"});
    expect(Token::Kind::BlockBegin, "'{%'");
    if (expect_name() == "else") {
      expect(Token::Kind::BlockEnd, "'%}'");
      s->else_body = parse_body({"endfor"});
      end_tag("endfor");
    } else {
      expect(Token::Kind::BlockEnd, "'%}'");
    }
    return s;
  }

  StmtPtr parse_set() {
    auto s = stmt(Stmt::Kind::Set);
    std::vector<std::string> targets = parse_targets();
    if (targets.size() == 1 && at_op(".")) {
      next();
      s->attr = expect_name();
    }
    s->targets = std::move(targets);
    if (at_op("=")) {
      next();
      s->expr = parse_tuple_or_expression();
      expect(Token::Kind::BlockEnd, "'%}'");
      return s;
    }
    if (s->targets.size() != 1 || !s->attr.empty()) {
      fail("a block set assigns one name");
    }
    s->kind = Stmt::Kind::SetBlock;
    while (at_op("|")) {
      next();
      s->filters.push_back(parse_filter(nullptr));
    }
    expect(Token::Kind::BlockEnd, "'%}'");
    s->body = parse_body({"endset"});
    end_tag("endset");
    return s;
  }

  void parse_params(Stmt& s) {
    expect_op("(");
    while (!at_op(")")) {
      std::string name = expect_name();
      ExprPtr def;
      if (at_op("=")) {
        next();
        def = parse_expression();
      }
      s.params.emplace_back(std::move(name), std::move(def));
      if (!at_op(",")) {
        break;
      }
      next();
    }
    expect_op(")");
  }

  StmtPtr parse_macro() {
    auto s = stmt(Stmt::Kind::Macro);
    s->text = expect_name();
    parse_params(*s);
    expect(Token::Kind::BlockEnd, "'%}'");
    s->body = parse_body({"endmacro"});
    end_tag("endmacro");
    return s;
  }

  StmtPtr parse_call_block() {
    auto s = stmt(Stmt::Kind::CallBlock);
    if (at_op("(")) {
      parse_params(*s);
    }
    s->expr = parse_expression();
    if (s->expr->kind != Expr::Kind::Call) {
      fail("{% call %} needs a macro call");
    }
    expect(Token::Kind::BlockEnd, "'%}'");
    s->body = parse_body({"endcall"});
    end_tag("endcall");
    return s;
  }

  StmtPtr parse_filter_block() {
    auto s = stmt(Stmt::Kind::FilterBlock);
    s->filters.push_back(parse_filter(nullptr));
    while (at_op("|")) {
      next();
      s->filters.push_back(parse_filter(nullptr));
    }
    expect(Token::Kind::BlockEnd, "'%}'");
    s->body = parse_body({"endfilter"});
    end_tag("endfilter");
    return s;
  }

  // --- expressions ------------------------------------------------------------
  // "a, b" at the top of a set makes a tuple.
  ExprPtr parse_tuple_or_expression() {
    ExprPtr first = parse_expression();
    if (!at_op(",")) {
      return first;
    }
    auto t = make(Expr::Kind::Tuple);
    t->items.push_back(std::move(first));
    while (at_op(",")) {
      next();
      if (at(Token::Kind::BlockEnd)) {
        break;
      }
      t->items.push_back(parse_expression());
    }
    return t;
  }

  ExprPtr parse_expression() {
    Depth d(*this);
    ExprPtr then = parse_or();
    while (at_name("if")) {
      next();
      auto c = make(Expr::Kind::Condition);
      c->items.push_back(std::move(then));
      c->items.push_back(parse_or());
      if (at_name("else")) {
        next();
        c->items.push_back(parse_expression());
      } else {
        c->items.push_back(nullptr);
      }
      then = checked(std::move(c));
    }
    return then;
  }

  // A for loop's iterable and filter: no conditional expression (its "if" is the filter).
  ExprPtr parse_condition_free() { return parse_or(); }

  ExprPtr binary(std::string op, ExprPtr l, ExprPtr r) {
    auto e = make(Expr::Kind::Binary);
    e->name = std::move(op);
    e->a = std::move(l);
    e->b = std::move(r);
    return checked(std::move(e));
  }

  ExprPtr parse_or() {
    ExprPtr l = parse_and();
    while (at_name("or")) {
      next();
      l = binary("or", std::move(l), parse_and());
    }
    return l;
  }

  ExprPtr parse_and() {
    ExprPtr l = parse_not();
    while (at_name("and")) {
      next();
      l = binary("and", std::move(l), parse_not());
    }
    return l;
  }

  ExprPtr parse_not() {
    if (at_name("not")) {
      Depth d(*this);
      next();
      auto e = make(Expr::Kind::Unary);
      e->name = "not";
      e->a = parse_not();
      return checked(std::move(e));
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    ExprPtr l = parse_math1();
    while (true) {
      std::string op;
      if (at(Token::Kind::Operator) &&
          (cur().value == "==" || cur().value == "!=" || cur().value == "<" ||
           cur().value == "<=" || cur().value == ">" || cur().value == ">=")) {
        op = next().value;
      } else if (at_name("in")) {
        next();
        op = "in";
      } else if (at_name("not") && i_ + 1 < t_.size() && t_[i_ + 1].kind == Token::Kind::Name &&
                 t_[i_ + 1].value == "in") {
        next();
        next();
        op = "not in";
      } else {
        return l;
      }
      l = binary(op, std::move(l), parse_math1());
    }
  }

  ExprPtr parse_math1() {
    ExprPtr l = parse_concat();
    while (at_op("+") || at_op("-")) {
      const std::string op = next().value;
      l = binary(op, std::move(l), parse_concat());
    }
    return l;
  }

  ExprPtr parse_concat() {
    ExprPtr l = parse_math2();
    while (at_op("~")) {
      next();
      l = binary("~", std::move(l), parse_math2());
    }
    return l;
  }

  ExprPtr parse_math2() {
    ExprPtr l = parse_pow();
    while (at_op("*") || at_op("/") || at_op("//") || at_op("%")) {
      const std::string op = next().value;
      l = binary(op, std::move(l), parse_pow());
    }
    return l;
  }

  ExprPtr parse_pow() {
    ExprPtr l = parse_unary(true);
    while (at_op("**")) {
      next();
      l = binary("**", std::move(l), parse_unary(true));
    }
    return l;
  }

  ExprPtr parse_unary(bool with_filter) {
    Depth d(*this);
    ExprPtr e;
    if (at_op("-") || at_op("+")) {
      auto u = make(Expr::Kind::Unary);
      u->name = next().value;
      u->a = parse_unary(false);
      e = checked(std::move(u));
    } else {
      e = parse_postfix(parse_primary());
    }
    return with_filter ? parse_filter_expr(std::move(e)) : std::move(e);
  }

  ExprPtr parse_primary() {
    if (at(Token::Kind::Name)) {
      const std::string n = next().value;
      auto lit = make(Expr::Kind::Literal);
      if (n == "true" || n == "True") {
        lit->value = Value(true);
      } else if (n == "false" || n == "False") {
        lit->value = Value(false);
      } else if (n == "none" || n == "None") {
        lit->value = Value::none();
      } else {
        auto name = make(Expr::Kind::Name);
        name->name = n;
        return name;
      }
      return lit;
    }
    if (at(Token::Kind::String)) {
      std::string s = next().value;
      while (at(Token::Kind::String)) {  // adjacent literals concatenate
        s += next().value;
      }
      auto lit = make(Expr::Kind::Literal);
      lit->value = Value(std::move(s));
      return lit;
    }
    if (at(Token::Kind::Int) || at(Token::Kind::Float)) {
      return parse_number();
    }
    if (at_op("(")) {
      next();
      if (at_op(")")) {
        next();
        return make(Expr::Kind::Tuple);
      }
      ExprPtr first = parse_expression();
      if (!at_op(",")) {
        expect_op(")");
        return first;
      }
      auto t = make(Expr::Kind::Tuple);
      t->items.push_back(std::move(first));
      while (at_op(",")) {
        next();
        if (at_op(")")) {
          break;
        }
        t->items.push_back(parse_expression());
      }
      expect_op(")");
      return checked(std::move(t));
    }
    if (at_op("[")) {
      next();
      auto l = make(Expr::Kind::List);
      while (!at_op("]")) {
        l->items.push_back(parse_expression());
        if (!at_op(",")) {
          break;
        }
        next();
      }
      expect_op("]");
      return checked(std::move(l));
    }
    if (at_op("{")) {
      next();
      auto d = make(Expr::Kind::Dict);
      while (!at_op("}")) {
        d->items.push_back(parse_expression());
        expect_op(":");
        d->items.push_back(parse_expression());
        if (!at_op(",")) {
          break;
        }
        next();
      }
      expect_op("}");
      return checked(std::move(d));
    }
    fail("unexpected " + describe());
  }

  ExprPtr parse_number() {
    const Token& t = next();
    auto lit = make(Expr::Kind::Literal);
    if (t.kind == Token::Kind::Int) {
      int64_t v = 0;
      const auto r = std::from_chars(t.value.data(), t.value.data() + t.value.size(), v);
      if (r.ec != std::errc()) {
        lit->value = Value(std::strtod(t.value.c_str(), nullptr));
      } else {
        lit->value = Value(v);
      }
    } else {
      lit->value = Value(std::strtod(t.value.c_str(), nullptr));
    }
    return lit;
  }

  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      if (at_op(".")) {
        next();
        auto g = make(Expr::Kind::GetAttr);
        if (at(Token::Kind::Int)) {  // a.0 is a[0]
          g->kind = Expr::Kind::GetItem;
          g->a = std::move(e);
          g->b = parse_number();
          e = checked(std::move(g));
          continue;
        }
        g->name = expect_name();
        g->a = std::move(e);
        e = checked(std::move(g));
      } else if (at_op("[")) {
        next();
        e = checked(parse_subscript(std::move(e)));
      } else if (at_op("(")) {
        auto c = make(Expr::Kind::Call);
        c->a = std::move(e);
        c->args = parse_args();
        e = checked(std::move(c));
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr obj) {
    ExprPtr parts[3];
    bool slice = false;
    int k = 0;
    while (true) {
      if (!at_op(":") && !at_op("]")) {
        parts[k] = parse_expression();
      }
      if (at_op(":")) {
        slice = true;
        if (++k > 2) {
          fail("too many ':' in a slice");
        }
        next();
        continue;
      }
      break;
    }
    expect_op("]");
    if (!slice) {
      if (!parts[0]) {
        fail("empty subscript");
      }
      auto g = make(Expr::Kind::GetItem);
      g->a = std::move(obj);
      g->b = std::move(parts[0]);
      return g;
    }
    auto s = make(Expr::Kind::Slice);
    s->a = std::move(obj);
    for (auto& p : parts) {
      s->items.push_back(std::move(p));
    }
    return s;
  }

  ArgList parse_args() {
    expect_op("(");
    ArgList args;
    while (!at_op(")")) {
      if (at(Token::Kind::Name) && i_ + 1 < t_.size() && t_[i_ + 1].kind == Token::Kind::Operator &&
          t_[i_ + 1].value == "=") {
        std::string key = next().value;
        next();
        args.keyword.emplace_back(std::move(key), parse_expression());
      } else {
        if (!args.keyword.empty()) {
          fail("a positional argument follows a keyword argument");
        }
        args.positional.push_back(parse_expression());
      }
      if (!at_op(",")) {
        break;
      }
      next();
    }
    expect_op(")");
    return args;
  }

  ExprPtr parse_filter(ExprPtr operand) {
    auto f = make(Expr::Kind::Filter);
    f->name = expect_name();
    while (at_op(".")) {  // dotted filter names
      next();
      f->name += "." + expect_name();
    }
    f->a = std::move(operand);
    if (at_op("(")) {
      f->args = parse_args();
    }
    return checked(std::move(f));
  }

  ExprPtr parse_filter_expr(ExprPtr e) {
    while (true) {
      if (at_op("|")) {
        next();
        e = parse_filter(std::move(e));
      } else if (at_name("is")) {
        next();
        auto t = make(Expr::Kind::Test);
        if (at_name("not")) {
          next();
          t->negated = true;
        }
        t->name = expect_name();
        t->a = std::move(e);
        if (at_op("(")) {
          t->args = parse_args();
        } else if (starts_test_argument()) {
          t->args.positional.push_back(parse_primary());
        }
        e = checked(std::move(t));
      } else if (at_op("(")) {
        auto c = make(Expr::Kind::Call);
        c->a = std::move(e);
        c->args = parse_args();
        e = checked(std::move(c));
      } else {
        return e;
      }
    }
  }

  // "x is divisibleby 3", "x is sameas none": a bare argument after the test name.
  bool starts_test_argument() const {
    if (at(Token::Kind::String) || at(Token::Kind::Int) || at(Token::Kind::Float) || at_op("[") ||
        at_op("{")) {
      return true;
    }
    if (at(Token::Kind::Name)) {
      static constexpr std::string_view kStop[] = {"and", "or", "else", "if",
                                                   "is",  "in", "not",  "recursive"};
      return std::find(std::begin(kStop), std::end(kStop), cur().value) == std::end(kStop);
    }
    return false;
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

Program parse(std::string_view source, const LexerOptions& options) {
  return Parser(lex(source, options)).run();
}

}  // namespace mlxcpp::jinja
