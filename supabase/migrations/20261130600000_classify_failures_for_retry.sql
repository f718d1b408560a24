-- Why: retry only what a retry can fix (issue 16, item 4). A ModuleNotFoundError, a missing entry
-- point, a SQL catalog error or a breached cap burnt every attempt and its backoff. The executor now
-- reports each failure's kind (deterministic | transient) and the failed phase; fail_run decides with
-- the phase's retry_on (default [transient]): deterministic failures fail the run at once and say so.
-- fail_run keeps its parameters and gains two optional ones at the end (old callers are unchanged);
-- publish_spec checks retry_on.

set lock_timeout = '5s';
set statement_timeout = '60s';

create function private.first_retry_on_problem(body jsonb)
returns text
language sql
immutable
parallel safe
set search_path = ''
-- The same rule as controlroom.phases.models.RetryOn: failure kinds or error classes, at most 50.
as $$
    select pg_catalog.format('body.phases[%s].retry_on ', p.ordinality - 1) || case
        when pg_catalog.jsonb_typeof(p.value -> 'retry_on') <> 'array'
            then 'must be a list of failure kinds (transient, deterministic) or error classes'
        when pg_catalog.jsonb_array_length(p.value -> 'retry_on') > 50
            then 'has more than 50 entries'
        else 'entries must be 1-200 letters, digits, dots, colons, dashes or underscores'
    end
    from pg_catalog.jsonb_array_elements(
        case when pg_catalog.jsonb_typeof(first_retry_on_problem.body -> 'phases') = 'array'
            then first_retry_on_problem.body -> 'phases' else '[]'::jsonb end
    ) with ordinality as p (value, ordinality)
    where pg_catalog.jsonb_typeof(p.value -> 'retry_on') <> 'null'
        and (
            pg_catalog.jsonb_typeof(p.value -> 'retry_on') <> 'array'
            or pg_catalog.jsonb_array_length(p.value -> 'retry_on') > 50
            or exists (
                select
                from pg_catalog.jsonb_array_elements(p.value -> 'retry_on') as r (value)
                where pg_catalog.jsonb_typeof(r.value) <> 'string'
                    or (r.value #>> '{}') !~ '^[A-Za-z0-9_.:-]{1,200}$'
            )
        )
    order by p.ordinality
    limit 1
$$;

comment on function private.first_retry_on_problem(jsonb) is
'The first malformed phases[i].retry_on of a spec body (not a list, over 50 entries, or an entry that is not a failure kind or error class token), or null.';

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
    v_problem := private.first_retry_on_problem(assert_valid_spec.body);
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'retry_on lists the failures of a phase that get another attempt (docs/specs.md, "retry_on").',
        hint = 'Write e.g. retry_on: [transient] or retry_on: [transient, ModuleNotFoundError] and publish again.';
    end if;
end
$$;

comment on function private.assert_valid_spec(text, text, jsonb) is
'Raises 22023 naming the first problem of a spec (name, version, body settings, dataset URIs outside the workspace); returns quietly when the spec is valid.';

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

drop function public.fail_run(uuid, boolean, text, text, timestamptz);

create function public.fail_run(
    lease uuid,
    retryable boolean,
    error_class text,
    message text default null,
    as_of timestamptz default null,
    failure_kind text default null,
    phase text default null
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
    v_retry boolean;
    v_problem text;
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
    v_problem := private.first_failure_problem(fail_run.failure_kind, fail_run.phase);
    if v_problem is not null then
        raise exception '%', v_problem
        using errcode = '22023',
        detail = 'Nothing was changed.',
        hint = 'Send failure_kind deterministic or transient and the name of the phase that failed, or neither.';
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
    -- With a failure kind the database decides (the phase's retry_on); without one, as before, the
    -- executor's retryable does.
    v_retry := case
        when fail_run.failure_kind is null then fail_run.retryable
        else private.failure_retries(v_spec.body, fail_run.phase, fail_run.error_class, fail_run.failure_kind)
    end;

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
    elsif v_retry and v_attempt.attempt_no < v_spec.max_attempts then
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
            error_message = fail_run.message, retryable = v_retry
        where a.id = v_attempt.id
        returning a.* into v_attempt;
        v_run := private.transition_run(
            v_run.id, 'failed', v_actor,
            case
                when v_retry then pg_catalog.format(
                    'retries exhausted: attempt %s of %s failed (%s)',
                    v_attempt.attempt_no, v_spec.max_attempts, fail_run.error_class
                )
                when fail_run.failure_kind = 'deterministic' then pg_catalog.format(
                    'attempt %s failed with a deterministic error (%s): a retry cannot fix it, not retried',
                    v_attempt.attempt_no, fail_run.error_class
                )
                when fail_run.failure_kind is not null then pg_catalog.format(
                    'attempt %s failed (%s, %s): not in the retry_on of phase %s, not retried',
                    v_attempt.attempt_no, fail_run.error_class, fail_run.failure_kind,
                    coalesce(fail_run.phase, '(none)')
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

comment on function public.fail_run(uuid, boolean, text, text, timestamptz, text, text) is
'Reports a failed attempt. Whether it is retried: with failure_kind (deterministic | transient), the failed phase''s retry_on decides (default [transient]); without it, retryable. Retried with attempts left: the run is queued again after min(backoff_max, backoff_base * 2^(attempt-1)) plus jitter; otherwise failed, with a reason that says why. With a cancellation requested the run becomes cancelled. Dead lease: 409 PT409.';

revoke execute on function public.fail_run(uuid, boolean, text, text, timestamptz, text, text)
from public, anon, authenticated, service_role;
grant execute on function public.fail_run(uuid, boolean, text, text, timestamptz, text, text) to controlroom_executor;
