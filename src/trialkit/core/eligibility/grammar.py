"""The grammar of the criteria language (Lark, LALR). See ``language.py`` for what it means."""

from __future__ import annotations

GRAMMAR = r"""
?start: disj

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
    | "edss_worsened" "(" window ")"            -> worsening
    | "treatment_failure" "(" selection "," over "," until ("," event)+ ")" -> failure

over: "over" NUMBER UNIT
until: "until" NUMBER UNIT "after" "stopping"

event: selection                                -> event_rows
     | "edss_worsening"                         -> event_worsening

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

selection: TABLE codes? window? where?
codes: "in" NAME                                -> codes_named
     | STRING                                   -> codes_inline
     | "[" STRING ("," STRING)* "]"             -> codes_inline
window: "within" "last" NUMBER UNIT anchor?     -> window_last
      | "within" "screening"                    -> window_screening
anchor: "before" ANCHOR
where: "where" row_disj

?row_disj: row_conj | row_conj ("or" row_conj)+ -> row_or
?row_conj: row_neg | row_neg ("and" row_neg)+   -> row_and
?row_neg: "not" row_neg                         -> row_not
        | "(" row_disj ")"
        | NAME COMP (NUMBER | STRING)           -> row_compare

TABLE.2: /(diagnoses|relapses|mri_scans|edss|labs|medications)(?![A-Za-z0-9_])/
ANCHOR.2: /(index|consent)(?![A-Za-z0-9_])/
TIMES.2: /(x|×)(?![A-Za-z0-9_\/])/
COMP: /<=|>=|==|!=|<|>|≤|≥|≠/
NUMBER: /[0-9]+(\.[0-9]+)?/
UNIT: /[A-Za-zµ%][A-Za-z0-9µ%\/.^²_]*/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
STRING: /"[^"\n]*"/
COMMENT: /#[^\n]*/

%import common.WS
%ignore WS
%ignore COMMENT
"""
