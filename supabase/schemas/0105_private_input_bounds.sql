-- Every input is bounded: params and spec bodies by size and JSON nesting depth, checked in SQL so
-- every client gets the same answer (docs/caps.md, "Input bounds").

create function private.jsonb_nests_deeper_than(value jsonb, max_depth integer)
returns boolean
language plpgsql
immutable
strict
parallel safe
set search_path = ''
-- Bounded, and no recursion of our own: the jsonpath `.**{n}` walk (C code) descends exactly n
-- levels below the root and no further, so a document nested 10,000 levels deep costs n levels of
-- work, and nothing here can push PL/pgSQL off the stack. Levels are counted as in the depth:
-- the root is level 0, so a container at level max_depth is the (max_depth + 1)-th nested one.
-- (A recursive CTE that walks level by level does the same at about ten times the cost.)
as $$
begin
    return pg_catalog.jsonb_path_exists(
        jsonb_nests_deeper_than.value,
        pg_catalog.format(
            'strict $.**{%s} ? (@.type() == "object" || @.type() == "array")',
            jsonb_nests_deeper_than.max_depth
        )::pg_catalog.jsonpath
    );
end
$$;

comment on function private.jsonb_nests_deeper_than(jsonb, integer) is
'Whether a JSON value nests objects and arrays more than max_depth levels deep (a scalar has depth 0, an object or array of scalars 1, each container inside another one more). Looks at most max_depth levels down, so the work is bounded whatever the input.';

create function private.assert_json_within(
    field text, value jsonb, max_bytes integer, max_depth integer, hint text
)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
    v_bytes integer := pg_catalog.octet_length(assert_json_within.value::text);
begin
    -- Size first: it is cheap, and it bounds the work of the depth walk.
    if v_bytes > assert_json_within.max_bytes then
        raise exception '% is too large: % bytes, the limit is % bytes',
            assert_json_within.field, v_bytes, assert_json_within.max_bytes
        using errcode = 'PT413',
        detail = pg_catalog.format(
            'The size is the length of the JSON text as the control plane stores it (%s bytes); at most %s are accepted.',
            v_bytes, assert_json_within.max_bytes
        ),
        hint = assert_json_within.hint;
    end if;
    if private.jsonb_nests_deeper_than(assert_json_within.value, assert_json_within.max_depth) then
        raise exception '% is nested too deeply: more than % levels, the limit is % levels',
            assert_json_within.field, assert_json_within.max_depth, assert_json_within.max_depth
        using errcode = '22023',
        detail = pg_catalog.format(
            'Each object or array inside another counts as one level (%s itself is level 1); at most %s are accepted.',
            assert_json_within.field, assert_json_within.max_depth
        ),
        hint = assert_json_within.hint;
    end if;
end
$$;

comment on function private.assert_json_within(text, jsonb, integer, integer, text) is
'Raises PT413 when the JSON text of value is longer than max_bytes, 22023 when it nests more than max_depth levels (private.jsonb_nests_deeper_than), naming field, its size and the limit; returns quietly otherwise (also for null).';
