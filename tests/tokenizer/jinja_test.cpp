// The template engine feature by feature, with the output Python's Jinja2
// gives (set up as transformers does: trim_blocks, lstrip_blocks,
// loopcontrols), and its sandbox limits.
#include <cstdlib>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/jinja/template.h"
#include "tokenizer/tokenizer_test_helpers.h"

namespace mlxcpp::test {
namespace {

using ojson = nlohmann::ordered_json;

std::string render(const std::string& source, const ojson& vars = ojson::object(),
                   const jinja::RenderLimits& limits = {}) {
  return jinja::Template(source).render(vars, limits);
}

struct Case {
  const char* source;
  const char* expected;
};

void expect_cases(const std::vector<Case>& cases, const ojson& vars = ojson::object()) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.source);
    try {
      EXPECT_EQ(render(c.source, vars), c.expected);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

void expect_template_error(const std::string& source, const std::string& fragment,
                           const ojson& vars = ojson::object(),
                           const jinja::RenderLimits& limits = {}) {
  SCOPED_TRACE(source.substr(0, 80));
  try {
    render(source, vars, limits);
    ADD_FAILURE() << "no error; expected a TemplateError saying \"" << fragment << "\"";
  } catch (const TemplateError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Jinja, Loops) {
  expect_cases({
      {"{% for x in [1,2,3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}"
       "{{ loop.length }}{{ loop.revindex }}|{% endfor %}",
       "10TrueFalse33|21FalseFalse32|32FalseTrue31|"},
      {"{% for x in 'abc' %}{{ loop.previtem|default('-') }}{{ x }}{{ loop.nextitem|default('-') "
       "}} "
       "{% endfor %}",
       "-ab abc bc- "},
      {"{% for x in [] %}x{% else %}empty{% endfor %}", "empty"},
      {"{% for x in range(10) if x is even %}{{ x }}{% endfor %}", "02468"},
      {"{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;"},
      {"{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}"
       "{% endif %}{{ x }}{% endfor %}",
       "0134"},
      {"{% for x in [1, 2, 3] | select('odd') %}{{ x }}{% endfor %}", "13"},
      {"{% for x in 'ab' %}{{ loop.cycle('o', 'e') }}{% endfor %}", "oe"},
      {"{% for x in {'b': 1, 'a': 2} %}{{ x }}{% endfor %}", "ba"},
  });
}

TEST(Jinja, AssignmentScopesMacrosAndBlocks) {
  expect_cases({
      {"{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", "1"},
      {"{% set ns = namespace(x=1) %}{% for i in [1] %}{% set ns.x = ns.x + 1 %}{% endfor %}"
       "{{ ns.x }}",
       "2"},
      {"{% set a, b = 1, 2 %}{{ b }}{{ a }}", "21"},
      {"{% set greeting %}Hello {{ 'World' }}{% endset %}{{ greeting | upper }}", "HELLO WORLD"},
      {"{% set s | upper %}ab{% endset %}{{ s }}", "AB"},
      {"{% macro tag(name, cls='x') %}<{{ name }} {{ cls }}>{% endmacro %}{{ tag('a') }}"
       "{{ tag('b', cls='y') }}",
       "<a x><b y>"},
      {"{% macro wrap(p) %}[{{ p }}{{ caller() }}]{% endmacro %}{% call wrap('>') %}in{% endcall "
       "%}",
       "[>in]"},
      {"{% macro row(x) %}{{ caller(x * 2) }}{% endmacro %}{% call(v) row(4) %}v={{ v }}{% endcall "
       "%}",
       "v=8"},
      {"{% filter upper %}abc{% endfilter %}", "ABC"},
      {"{% if false %}a{% elif 0 %}b{% elif 'x' %}c{% else %}d{% endif %}", "c"},
      {"a{# a comment #}b", "ab"},
      {"{% raw %}{{ x }}{% endraw %}", "{{ x }}"},
      {"{% generation %}kept{% endgeneration %}", "kept"},
  });
}

TEST(Jinja, Expressions) {
  expect_cases(
      {
          {"{{ 7 // 2 }} {{ 7 % 3 }} {{ -7 // 2 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 1 + 2 * 3 }}",
           "3 1 -4 1024 3.5 7"},
          {"{{ 'a' ~ 1 ~ none }} {{ 'x' * 3 }} {{ [1] + [2] }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 10 / "
           "4 }}",
           "a1None xxx [1, 2] 0.30000000000000004 1e+20 2.5"},
          {"{{ 'b' in 'abc' }} {{ 3 not in [1, 2] }} {{ 'k' in {'k': 1} }} {{ not 1 }}",
           "True True True False"},
          {"{{ 'yes' if 0 else 'no' }}|{{ 'a' if false }}|{{ 1 and 'x' }}|{{ 0 or 'y' }}",
           "no||x|y"},
          {"{{ [1, 2, 3, 4][::-1] }} {{ 'hello'[1:3] }} {{ [1, 2, 3, 4][-2:] }} {{ "
           "'h\\u00e9llo'[::-2] }}",
           "[4, 3, 2, 1] el [3, 4] olh"},
          {"{{ {'a': {'b': [10, 20]}}.a.b[1] }} {{ [5, 6].1 }} {{ 'abc'[-1] }}", "20 6 c"},
          {"{{ (1, 2) }} {{ (1,) }} {{ {'a': 'it\\'s'} }} {{ none }} {{ true }}",
           "(1, 2) (1,) {'a': \"it's\"} None True"},
          {"{{ '%s is %d' % ('x', 3) }}", "x is 3"},
          {"{{ messages | length - 1 }}", "1"},
      },
      {{"messages", {1, 2}}});
}

TEST(Jinja, Tests) {
  expect_cases(
      {
          {"{{ x is defined }} {{ y is undefined }} {{ none is none }} {{ 'a' is string }} "
           "{{ 1 is number }} {{ 1.5 is integer }} {{ 2 is integer }} {{ {} is mapping }}",
           "True True True True True False True True"},
          {"{{ [] is iterable }} {{ 'a' is sequence }} {{ true is boolean }} {{ true is true }} "
           "{{ 0 is false }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} "
           "{{ 9 is divisibleby(4) }} {{ x is not none }}",
           "True True True True False True True True False True"},
          {"{{ 2 is eq 2 }} {{ 'A' is upper }} {{ 'a' is lower }} {{ 1 is in [1] }}",
           "True True True True"},
      },
      {{"x", 1}});
}

TEST(Jinja, Filters) {
  const ojson vars = {{"users", ojson::parse(R"([{"name": "a", "admin": true},
                                                  {"name": "b", "admin": false}])")}};
  expect_cases(
      {
          {"{{ '  x  ' | trim }}|{{ 'ab' | upper }}|{{ 'AB' | lower }}|{{ 'hello world' | title }}|"
           "{{ 'hELLO' | capitalize }}|{{ [1, 2, 3] | length }}|{{ 'abc' | count }}|{{ [1, 2] | "
           "join(', ') }}",
           "x|AB|ab|Hello World|Hello|3|3|1, 2"},
          {"{{ [3, 4] | first }}|{{ [3, 4] | last }}|{{ u | default('d') }}|{{ '' | d('e', true) "
           "}}|"
           "{{ 'xay' | trim('xy') }}",
           "3|4|d|e|a"},
          {"{{ {'a': 1} | items | list }}|{{ {'b': 1, 'a': 2} | dictsort }}",
           "[('a', 1)]|[('a', 2), ('b', 1)]"},
          {"{{ users | map(attribute='name') | join(',') }}|{{ [1, 2, 3, 4] | select('odd') | list "
           "}}|"
           "{{ [1, 2, 3, 4] | reject('odd') | list }}|"
           "{{ users | selectattr('admin') | map(attribute='name') | list }}|"
           "{{ users | rejectattr('admin') | map(attribute='name') | first }}|"
           "{{ users | selectattr('name', 'equalto', 'b') | list | length }}|"
           "{{ ['a', 'b'] | map('upper') | list }}",
           "a,b|[1, 3]|[2, 4]|['a']|b|1|['A', 'B']"},
          {"{{ [1, 2, 1, 3] | unique | list }}|{{ 'a-b-c' | replace('-', '+') }}|{{ 12 | string }}|"
           "{{ '42' | int + 1 }}|{{ '2.5' | float }}|{{ -3 | abs }}|{{ 2.567 | round(2) }}|{{ 2.5 "
           "| round }}|"
           "{{ 'x' | int }}",
           "[1, 2, 3]|a+b+c|12|43|2.5|3|2.57|2.0|0"},
          {"{{ 'a\\nb' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ [1, 2, 3, 4, 5] | "
           "batch(2) | list }}|"
           "{{ [1, 2, 3] | sum }}|{{ [3, 1, 2] | min }}{{ [3, 1, 2] | max }}|{{ 'one two  three' | "
           "wordcount }}|"
           "{{ '<b>' | safe }}",
           "a\n  b|  a\n  b|[[1, 2], [3, 4], [5]]|6|13|3|<b>"},
          {"{{ {'a': [1, 2.5, '\\u00e9', none, true]} | tojson }}",
           "{\"a\": [1, 2.5, \"\xc3\xa9\", null, true]}"},
          {"{{ {'a': 1, 'b': [1]} | tojson(indent=2) }}",
           "{\n  \"a\": 1,\n  \"b\": [\n    1\n  ]\n}"},
          {"{{ 'q\"\\n' | tojson }}", "\"q\\\"\\n\""},
      },
      vars);
}

TEST(Jinja, Methods) {
  expect_cases({
      {"{{ ' x '.strip() }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'xxaxx'.rstrip('x') }}|{{ "
       "'a,b,c'.split(',') }}|"
       "{{ ' a b  c '.split() }}|{{ 'a,b,c'.split(',', 1) }}",
       "x|axx|xxa|['a', 'b', 'c']|['a', 'b', 'c']|['a', 'b,c']"},
      {"{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x', 'c')) }}|{{ 'aaa'.replace('a', 'b', "
       "2) }}|"
       "{{ 'ab'.upper() }}|{{ 'AB'.lower() }}|{{ 'hello world'.title() }}|{{ 'abcb'.find('b') }}|"
       "{{ 'abcb'.count('b') }}|{{ '{} {x}'.format(1, x=2) }}",
       "True|True|bba|AB|ab|Hello World|1|2|1 2"},
      {"{% set d = {'a': 1} %}{{ d.keys() | list }}{{ d.values() | list }}{{ d.get('a') }}"
       "{{ d.get('z', 'none') }}{{ d.items() | list }}",
       "['a'][1]1none[('a', 1)]"},
      {"{% set l = [1] %}{% set _ = l.append(2) %}{{ l }}{{ l.pop() }}{{ l }}", "[1, 2]2[1]"},
  });
}

TEST(Jinja, WhitespaceControl) {
  expect_cases({
      {"a  {%- if true -%}  b  {%- endif -%}  c", "abc"},
      {"x\n  {% if true %}\n  y\n  {% endif %}\nz", "x\n  y\nz"},
      {"x\n  {%+ if true %}y{% endif %}", "x\n  y"},
      {"a\n  {# c #}\nb", "a\nb"},
      {"{{- ' a ' -}}\n", " a "},
      {"<\n{{ 1 }}\n>", "<\n1\n>"},
  });
}

TEST(Jinja, GlobalsAndClock) {
  ::setenv("SOURCE_DATE_EPOCH", "1741944413", 1);
  EXPECT_EQ(render("{{ strftime_now('%d %b %Y %H:%M:%S') }}"), "14 Mar 2025 09:26:53");
  ::unsetenv("SOURCE_DATE_EPOCH");
  EXPECT_EQ(render("{{ range(3) | list }}{{ range(1, 7, 2) | list }}{{ dict(a=1) }}"),
            "[0, 1, 2][1, 3, 5]{'a': 1}");
  try {
    render("{{ raise_exception('no ' ~ 'way') }}");
    ADD_FAILURE() << "no error";
  } catch (const jinja::RaisedError& e) {
    EXPECT_EQ(e.message(), "no way");
  }
}

TEST(Jinja, UndefinedValues) {
  expect_cases(
      {
          {"[{{ missing }}]{{ missing | trim }}{{ missing | length }}{% for x in missing %}x{% "
           "endfor %}",
           "[]0"},
          {"{{ m.nothing is defined }}{{ m['nothing'] | default('d') }}", "Falsed"},
      },
      {{"m", ojson::object()}});
  expect_template_error("{{ x.y }}", "'x' is undefined");
  expect_template_error("{{ m.content + 'a' }}", "'dict object' has no attribute 'content'",
                        {{"m", ojson::object()}});
  expect_template_error("{{ 'a' + 1 }}", "can only concatenate str");
  expect_template_error("{{ 1 / 0 }}", "division by zero");
  expect_template_error("{{ x | nosuchfilter }}", "no filter named 'nosuchfilter'");
  expect_template_error("{{ x is nosuchtest }}", "no test named 'nosuchtest'");
  expect_template_error("{{ none.x.y }}", "'None' has no attribute 'x'");
}

TEST(Jinja, SyntaxErrors) {
  expect_template_error("{% if x %}never closed", "missing {% endif %}");
  expect_template_error("{{ x ", "missing \"}}\"");
  expect_template_error("{% endfor %}", "unknown or misplaced tag");
  expect_template_error("{% frobnicate %}", "unknown or misplaced tag {% frobnicate %}");
  expect_template_error("{{ 'unterminated }}", "unterminated string");
  expect_template_error("line one\n{{ 1 + }}", "line 2");
  expect_template_error("{# open comment", "unterminated comment");
  expect_template_error("{{ (" + std::string(5000, '(') + "1" + std::string(5001, ')') + " }}",
                        "nests deeper");
  std::string ifs;
  for (int i = 0; i < 3000; ++i) {
    ifs += "{% if true %}";
  }
  expect_template_error(ifs, "nests deeper");
  // Long left-deep chains are bounded too (they are evaluated and freed recursively).
  std::string chain = "{{ 1";
  for (int i = 0; i < 100000; ++i) {
    chain += " + 1";
  }
  expect_template_error(chain + " }}", "nested deeper than");
  std::string filters = "{{ 'x'";
  for (int i = 0; i < 5000; ++i) {
    filters += " | upper";
  }
  expect_template_error(filters + " }}", "nested deeper than");
}

TEST(Jinja, SandboxStopsRunawayTemplates) {
  // A loop that would run for ever (ten billion iterations).
  expect_template_error(
      "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
      "{% endfor %}",
      "loop iterations");
  expect_template_error("{{ range(10000000000) | list }}", "exceeds the loop limit");
  // Unbounded recursion.
  expect_template_error("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "calls nest deeper");
  // Output and strings that grow without bound.
  expect_template_error("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
                        "exceeds the limit");
  expect_template_error("{{ 'x' * 100000000000 }}", "output limit");
  expect_template_error(
      "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
      "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
      "exceeds the limit");
  // Containers that would contain themselves, and values nested too deeply.
  expect_template_error("{% set l = [] %}{% set _ = l.append(l) %}{{ l }}",
                        "cannot contain itself");
  expect_template_error("{% set a = [] %}{% set b = [a] %}{% set _ = a.append(b) %}",
                        "cannot contain itself");
  expect_template_error("{% set ns = namespace(x=1) %}{% set ns.x = [ns] %}",
                        "cannot contain itself");
  ojson deep = 1;
  for (int i = 0; i < 10000; ++i) {
    deep = ojson::array({deep});
  }
  expect_template_error("{{ x }}", "nested deeper than", {{"x", deep}});
  // A list that grows while it is iterated stops (the loop walks a snapshot).
  EXPECT_EQ(render("{% set l = [1] %}{% for x in l %}{% set _ = l.append(x) %}{% endfor %}"
                   "{{ l | length }}"),
            "2");
  // Tighter limits apply when given.
  jinja::RenderLimits small;
  small.max_output_bytes = 10;
  expect_template_error("{{ 'abcdefghijk' }}", "exceeds the limit", ojson::object(), small);
  small = {};
  small.max_loop_iterations = 5;
  expect_template_error("{% for x in [1, 2, 3, 4, 5, 6] %}{% endfor %}", "loop iterations",
                        ojson::object(), small);
}

}  // namespace
}  // namespace mlxcpp::test
