-- Rollback of 20261130890000_check_due_within_seconds_after_the_other_spec_checks: the body of
-- private.assert_valid_spec as 20261130800000 left it.

set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function private.assert_valid_spec(name text, version text, body jsonb)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_problem text;
begin
    v_problem := case
        when assert_valid_spec.name is null
            or assert_valid_spec.name !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$'
            then 'name must be 1-128 letters, digits, dots, dashes or underscores'
        when assert_valid_spec.version is null
            or assert_valid_spec.version !~ '^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$'
            then 'version must be 1-64 letters, digits, dots, dashes, plus signs or underscores'
        when pg_catalog.jsonb_typeof(assert_valid_spec.body) is distinct from 'object'
            then 'body must be a JSON object'
        when assert_valid_spec.body ? 'name'
            and assert_valid_spec.body ->> 'name' is distinct from assert_valid_spec.name
            then 'body.name differs from name'
        when assert_valid_spec.body ? 'version'
            and assert_valid_spec.body ->> 'version' is distinct from assert_valid_spec.version
            then 'body.version differs from version'
        when assert_valid_spec.body ? 'pool'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'pool') <> 'string'
                or assert_valid_spec.body ->> 'pool' !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
            then 'body.pool must be a pool name (letters, digits, dots, dashes, underscores)'
        when assert_valid_spec.body ? 'labels'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'labels') <> 'object'
                or exists (
                    select
                    from pg_catalog.jsonb_each(assert_valid_spec.body -> 'labels') as l
                    where pg_catalog.jsonb_typeof(l.value) <> 'string'
                ))
            then 'body.labels must be an object of strings'
        when assert_valid_spec.body ? 'retries'
            and pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries') <> 'object'
            then 'body.retries must be an object'
        when assert_valid_spec.body -> 'retries' ? 'max_attempts'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'max_attempts') <> 'number'
                or assert_valid_spec.body -> 'retries' ->> 'max_attempts' !~ '^[0-9]{1,3}$'
                or (assert_valid_spec.body -> 'retries' ->> 'max_attempts')::integer not between 1 and 100)
            then 'body.retries.max_attempts must be an integer from 1 to 100'
        when assert_valid_spec.body -> 'retries' ? 'base_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'base_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'base_seconds')::numeric < 0)
            then 'body.retries.base_seconds must be a number of at least 0'
        when assert_valid_spec.body -> 'retries' ? 'max_backoff_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'max_backoff_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'max_backoff_seconds')::numeric < 0)
            then 'body.retries.max_backoff_seconds must be a number of at least 0'
        when assert_valid_spec.body -> 'retries' ? 'jitter_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'jitter_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'jitter_seconds')::numeric < 0)
            then 'body.retries.jitter_seconds must be a number of at least 0'
        when assert_valid_spec.body ? 'heartbeat_tolerance_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'heartbeat_tolerance_seconds') <> 'number'
                or (assert_valid_spec.body ->> 'heartbeat_tolerance_seconds')::numeric < 30)
            then 'body.heartbeat_tolerance_seconds must be a number of at least 30'
        when assert_valid_spec.body ? 'caps'
            and pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'caps') <> 'object'
            then 'body.caps must be an object'
        when assert_valid_spec.body -> 'caps' ? 'max_duration_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'caps' -> 'max_duration_seconds') <> 'number'
                or (assert_valid_spec.body -> 'caps' ->> 'max_duration_seconds')::numeric <= 0)
            then 'body.caps.max_duration_seconds must be a positive number'
        when private.seconds_setting(assert_valid_spec.body -> 'retries' -> 'max_backoff_seconds', interval '1 hour')
            < private.seconds_setting(assert_valid_spec.body -> 'retries' -> 'base_seconds', interval '10 seconds')
            then 'body.retries.max_backoff_seconds must not be below base_seconds'
        -- GUARD: a spark phase names a logical engine; only the executor's configuration says where it is.
        when exists (
            select
            from pg_catalog.jsonb_array_elements(
                case
                    when pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'phases') = 'array'
                        then assert_valid_spec.body -> 'phases'
                    else '[]'::jsonb
                end
            ) as p (phase)
            where p.phase ->> 'kind' = 'spark'
                and (p.phase ? 'endpoint'
                    or p.phase ? 'session_credentials'
                    or coalesce(p.phase -> 'engine' ->> 'name', 'default')
                    !~ '^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$')
        )
            then 'a spark phase names a logical engine (engine.name: 1-63 of a-z, 0-9, _ and -), never an '
                || 'endpoint or credentials: the executor''s configuration maps engine names to sc:// URLs'
    end;
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'See docs/architecture.md, "Spec settings", for the keys the control plane reads.',
        hint = 'Fix the spec and publish it again.';
    end if;
    -- Schedules (issue 16): their checks and the cron rules live in 0409 and 0118.
    v_problem := private.first_schedule_problem(assert_valid_spec.body);
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'See docs/specs.md, "schedules", for the fields of a schedule and the cron syntax.',
        hint = 'Fix the schedule and publish again.';
    end if;
    -- GUARD: tenants share the bucket and the executors; a spec may only name its own folder.
    v_problem := private.first_uri_problem(assert_valid_spec.body);
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'Every dataset URI must lie under s3://${run.bucket}/${run.workspace}/: no other bucket or '
            || 'workspace, no . or .. segments, no escapes, no local paths (docs/security.md).',
        hint = 'Write the URI as s3://${run.bucket}/${run.workspace}/<key> and publish again.';
    end if;
    v_problem := private.first_retry_on_problem(assert_valid_spec.body);
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'retry_on lists the failures of a phase that get another attempt (docs/specs.md, "retry_on").',
        hint = 'Write e.g. retry_on: [transient] or retry_on: [transient, ModuleNotFoundError] and publish again.';
    end if;
end
$$;
