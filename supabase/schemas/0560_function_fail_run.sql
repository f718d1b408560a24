-- Executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through the executor RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").

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
