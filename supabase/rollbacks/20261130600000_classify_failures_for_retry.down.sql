-- Rollback of 20261130600000_classify_failures_for_retry.sql: fail_run, assert_valid_spec as before.

set lock_timeout = '5s';
set statement_timeout = '60s';

drop function public.fail_run(uuid, boolean, text, text, timestamptz, text, text);

create function public.fail_run(
    lease uuid,
    retryable boolean,
    error_class text,
    message text default null,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(fail_run.as_of);
    v_attempt public.run_attempts;
    v_run public.runs;
    v_spec public.pipeline_specs;
    v_delay interval;
    v_jitter interval;
    v_actor text;
begin
    perform private.assert_executor_role();
    if fail_run.retryable is null then
        raise exception 'retryable must be true or false'
        using errcode = '22023',
        detail = 'Got null.',
        hint = 'Say whether another attempt could succeed.';
    end if;
    if fail_run.error_class is null or fail_run.error_class !~ '^[A-Za-z0-9_.:-]{1,200}$' then
        raise exception 'error_class must be 1-200 letters, digits, dots, colons, dashes or underscores'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.quote_nullable(fail_run.error_class)),
        hint = 'Use a stable class such as cap_exceeded or python.ValueError.';
    end if;
    if pg_catalog.char_length(fail_run.message) > 10000 then
        raise exception 'message is too long'
        using errcode = '22023',
        detail = 'A failure message has at most 10000 characters.',
        hint = 'Truncate it; put the rest in a run event or an artifact.';
    end if;
    v_attempt := private.lock_lease(fail_run.lease);
    if v_attempt.status = 'failed' then
        select r.* into v_run from public.runs as r where r.id = v_attempt.run_id;
        return private.lease_reply('duplicate', v_attempt, v_run);
    elsif not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'fail_run', v_as_of);
    end if;

    select r.* into v_run from public.runs as r where r.id = v_attempt.run_id for update;
    select s.* into v_spec from public.pipeline_specs as s where s.id = v_run.spec_id;
    v_actor := 'executor:' || v_attempt.executor_id::text;

    if v_run.cancel_requested_at is not null then
        update public.run_attempts as a
        set status = 'cancelled', finished_at = v_as_of, error_class = fail_run.error_class,
            error_message = fail_run.message, retryable = fail_run.retryable
        where a.id = v_attempt.id
        returning a.* into v_attempt;
        v_run := private.transition_run(
            v_run.id, 'cancelled', v_actor,
            pg_catalog.format('cancelled (attempt %s stopped: %s)', v_attempt.attempt_no, fail_run.error_class),
            v_as_of
        );
    elsif fail_run.retryable and v_attempt.attempt_no < v_spec.max_attempts then
        v_delay := private.retry_delay(v_attempt.attempt_no, v_spec.backoff_base, v_spec.backoff_max);
        v_jitter := private.retry_jitter(v_spec.backoff_jitter);
        update public.run_attempts as a
        set status = 'failed', finished_at = v_as_of, error_class = fail_run.error_class,
            error_message = fail_run.message, retryable = true,
            retry_delay = v_delay, retry_jitter = v_jitter
        where a.id = v_attempt.id
        returning a.* into v_attempt;
        v_run := private.transition_run(
            v_run.id, 'queued', v_actor,
            pg_catalog.format('attempt %s of %s failed (%s); retry after %s',
                v_attempt.attempt_no, v_spec.max_attempts, fail_run.error_class, v_delay + v_jitter),
            v_as_of, v_as_of + v_delay + v_jitter
        );
    else
        update public.run_attempts as a
        set status = 'failed', finished_at = v_as_of, error_class = fail_run.error_class,
            error_message = fail_run.message, retryable = fail_run.retryable
        where a.id = v_attempt.id
        returning a.* into v_attempt;
        v_run := private.transition_run(
            v_run.id, 'failed', v_actor,
            case
                when fail_run.retryable then pg_catalog.format(
                    'retries exhausted: attempt %s of %s failed (%s)',
                    v_attempt.attempt_no, v_spec.max_attempts, fail_run.error_class
                )
                else pg_catalog.format('attempt %s failed, not retryable (%s)',
                    v_attempt.attempt_no, fail_run.error_class)
            end,
            v_as_of
        );
    end if;
    return private.lease_reply('accepted', v_attempt, v_run);
end
$$;

comment on function public.fail_run(uuid, boolean, text, text, timestamptz) is
'Reports a failed attempt. Retryable with attempts left: the run is queued again after min(backoff_max, backoff_base * 2^(attempt-1)) plus jitter; otherwise failed. With a cancellation requested the run becomes cancelled. Dead lease: 409 PT409.';

revoke execute on function public.fail_run(uuid, boolean, text, text, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.fail_run(uuid, boolean, text, text, timestamptz) to controlroom_executor;

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
    end;
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'See docs/architecture.md, "Spec settings", for the keys the control plane reads.',
        hint = 'Fix the spec and publish it again.';
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
end
$$;

comment on function private.assert_valid_spec(text, text, jsonb) is
'Raises 22023 naming the first problem of a spec (name, version, body settings, dataset URIs outside the workspace); returns quietly when the spec is valid.';

drop function private.failure_retries(jsonb, text, text, text);
drop function private.first_failure_problem(text, text);
drop function private.first_retry_on_problem(jsonb);
