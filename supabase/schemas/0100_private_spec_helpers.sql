-- Why: a pipeline spec is content-addressed (spec_hash) and its settings are generated columns of
-- public.pipeline_specs, computed by these helpers; the table needs them first.

-- Canonical JSON: keys sorted by code point, no insignificant whitespace, arrays in order,
-- scalars as PostgreSQL prints them (integers and strings are therefore exact; a spec that
-- needs a stable hash should not rely on float formatting). This is what spec_hash digests.
create function private.canonical_json(value jsonb)
returns text
language plpgsql
immutable
strict
parallel safe
set search_path = ''
as $$
begin
    case pg_catalog.jsonb_typeof(canonical_json.value)
        when 'object' then
            return (
                select '{' || coalesce(
                    pg_catalog.string_agg(
                        pg_catalog.to_jsonb(e.key)::text || ':' || private.canonical_json(e.value),
                        ',' order by e.key collate "C"
                    ),
                    ''
                ) || '}'
                from pg_catalog.jsonb_each(canonical_json.value) as e
            );
        when 'array' then
            return (
                select '[' || coalesce(
                    pg_catalog.string_agg(
                        private.canonical_json(e.value), ',' order by e.ordinality
                    ),
                    ''
                ) || ']'
                from pg_catalog.jsonb_array_elements(canonical_json.value)
                    with ordinality as e (value, ordinality)
            );
        else
            return canonical_json.value::text;
    end case;
end
$$;

comment on function private.canonical_json(jsonb) is
'Canonical JSON text of a jsonb value: object keys sorted by code point, no whitespace, arrays in order. Deterministic (declared immutable: the server encoding is UTF8).';

create function private.spec_hash(body jsonb)
returns text
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
    select pg_catalog.encode(
        pg_catalog.sha256(pg_catalog.convert_to(private.canonical_json(spec_hash.body), 'UTF8')),
        'hex'
    )
$$;

comment on function private.spec_hash(jsonb) is
'SHA-256 (lower-case hex) of the canonical JSON of a pipeline spec body: the spec''s identity.';

create function private.seconds_setting(
    value jsonb, fallback interval
)
returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case
        when pg_catalog.jsonb_typeof(seconds_setting.value) = 'number'
            then pg_catalog.make_interval(secs => (seconds_setting.value)::text::double precision)
        else seconds_setting.fallback
    end
$$;

comment on function private.seconds_setting(jsonb, interval) is
'A duration given in seconds in a spec body, or the fallback when the key is absent or not a number.';
