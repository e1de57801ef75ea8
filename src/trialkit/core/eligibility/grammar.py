"""The grammar of the criteria language (Lark, LALR). See ``language.py`` for what it means.

Table names are plain names here: which tables exist is the record schema's business, and the
builder checks each name against it (so a protocol's own tables need no grammar change).
``$name`` stands for a parameter inside a library function's body.
"""

from __future__ import annotations

GRAMMAR = r"""
?start: disj
event_start: event

?disj: conj | conj ("or" conj)+                 -> or_
?conj: neg | neg ("and" neg)+                   -> and_
?neg: "not" neg                                 -> not_
    | "(" disj ")"
    | test

test: value COMP value                          -> compare
    | value COMP NUMBER TIMES "uln"             -> uln
    | value "in" "[" value "," value "]"        -> between
    | value "in" NAME                           -> in_set
    | "exists" "(" selection ")"                -> exists
    | "attested" NAME                           -> attested
    | "increase" "(" picked "," steps ")"       -> increase
    | "treatment_failure" "(" selection "," over "," until ("," event)+ ")" -> failure
    | NAME "(" [arg ("," arg)*] ")"             -> call

over: "over" NUMBER UNIT
until: "until" NUMBER UNIT "after" "stopping"

event: selection                                -> event_rows
     | "increases" "(" picked "," "looking" "back" NUMBER UNIT "," steps ")" -> event_increase
     | NAME "(" [arg ("," arg)*] ")"            -> event_call

arg: window_plain | selection

picked: NAME "of" selection                     -> picked_field
      | selection                               -> picked_default
steps: step ("," step)*
step: "by" NUMBER "when" "baseline" COMP NUMBER -> step_when
    | "by" NUMBER "otherwise"                   -> step_otherwise
    | "by" NUMBER                               -> step_always

value: "age"                                    -> age
     | "sex"                                    -> sex
     | NUMBER                                   -> number
     | NUMBER UNIT                              -> quantity
     | STRING                                   -> text
     | "count" "(" selection ")"                -> count
     | "latest" "(" selection ")" field?        -> latest
     | "earliest" "(" selection ")" field?      -> earliest
     | "time_since" "(" value ")"               -> time_since

field: "." NAME

selection: NAME codes? window? where?
         | PARAM                                -> selection_param
codes: "in" NAME                                -> codes_named
     | STRING                                   -> codes_inline
     | "[" STRING ("," STRING)* "]"             -> codes_inline
?window: window_plain
       | PARAM                                  -> window_param
window_plain: "within" "last" NUMBER UNIT anchor? -> window_last
            | "within" "screening"              -> window_screening
anchor: "before" ANCHOR
where: "where" row_disj

?row_disj: row_conj | row_conj ("or" row_conj)+ -> row_or
?row_conj: row_neg | row_neg ("and" row_neg)+   -> row_and
?row_neg: "not" row_neg                         -> row_not
        | "(" row_disj ")"
        | NAME COMP (NUMBER | STRING)           -> row_compare

ANCHOR.2: /(index|consent)(?![A-Za-z0-9_])/
TIMES.2: /(x|×)(?![A-Za-z0-9_\/])/
COMP: /<=|>=|==|!=|<|>|≤|≥|≠/
NUMBER: /[0-9]+(\.[0-9]+)?/
UNIT: /[A-Za-zµ%][A-Za-z0-9µ%\/.^²_]*/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
PARAM: /\$[A-Za-z_][A-Za-z0-9_]*/
STRING: /"[^"\n]*"/
COMMENT: /#[^\n]*/

%import common.WS
%ignore WS
%ignore COMMENT
"""
