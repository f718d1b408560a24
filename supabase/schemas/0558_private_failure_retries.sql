-- Why: retry only what a retry can fix (issue 16). The executor names each failure's kind
-- (deterministic | transient) and the failed phase; the spec's phase may override with `retry_on`.
-- fail_run (0560) asks this one function, so the rule is written once.

create function private.first_failure_problem(failure_kind text, phase text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case
        when first_failure_problem.failure_kind is not null
            and first_failure_problem.failure_kind not in ('deterministic', 'transient')
            then pg_catalog.format(
                'failure_kind must be deterministic or transient, got %s',
                pg_catalog.quote_literal(pg_catalog.left(first_failure_problem.failure_kind, 100))
            )
        when first_failure_problem.phase is not null
            and first_failure_problem.phase !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'
            then 'phase must be a phase name (1-128 letters, digits, dots, dashes or underscores)'
    end
$$;

comment on function private.first_failure_problem(text, text) is
'The problem of a failure report''s kind and phase (fail_run), or null when both are well formed.';

create function private.failure_retries(body jsonb, phase text, error_class text, failure_kind text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- The failed phase's retry_on (checked at publish: a list of tokens), else the default [transient].
    select coalesce(
        (
            select p.value -> 'retry_on'
            from pg_catalog.jsonb_array_elements(
                case when pg_catalog.jsonb_typeof(failure_retries.body -> 'phases') = 'array'
                    then failure_retries.body -> 'phases' else '[]'::jsonb end
            ) as p (value)
            where p.value ->> 'name' = failure_retries.phase
                and pg_catalog.jsonb_typeof(p.value -> 'retry_on') = 'array'
            limit 1
        ),
        '["transient"]'::jsonb
    ) ?| array[failure_retries.failure_kind, failure_retries.error_class]
$$;

comment on function private.failure_retries(jsonb, text, text, text) is
'Whether a failure of the given kind (deterministic | transient) and error class in the given phase gets another attempt: the phase''s retry_on names the kind or the class (default ["transient"]). Attempts left are checked by the caller.';
