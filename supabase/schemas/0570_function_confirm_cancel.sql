-- Executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through the executor RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").

create function public.confirm_cancel(lease uuid, message text default null, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(confirm_cancel.as_of);
    v_attempt public.run_attempts;
    v_run public.runs;
begin
    perform private.assert_executor_role();
    if pg_catalog.char_length(confirm_cancel.message) > 10000 then
        raise exception 'message is too long'
        using errcode = '22023',
        detail = 'A message has at most 10000 characters.',
        hint = 'Truncate it.';
    end if;
    v_attempt := private.lock_lease(confirm_cancel.lease);
    if v_attempt.status = 'cancelled' then
        select r.* into v_run from public.runs as r where r.id = v_attempt.run_id;
        return private.lease_reply('duplicate', v_attempt, v_run);
    elsif not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'confirm_cancel', v_as_of);
    end if;

    select r.* into v_run from public.runs as r where r.id = v_attempt.run_id for update;
    if v_run.cancel_requested_at is null then
        raise exception 'run % has no cancellation request', v_run.id
        using errcode = 'PT422',
        detail = 'confirm_cancel answers the cancel directive of heartbeat.',
        hint = 'Report a failure with fail_run instead.';
    end if;

    update public.run_attempts as a
    set status = 'cancelled', finished_at = v_as_of, error_message = confirm_cancel.message
    where a.id = v_attempt.id
    returning a.* into v_attempt;
    v_run := private.transition_run(
        v_run.id, 'cancelled', 'executor:' || v_attempt.executor_id::text,
        pg_catalog.format('cancelled (attempt %s confirmed: %s)', v_attempt.attempt_no, v_run.cancel_reason),
        v_as_of
    );
    return private.lease_reply('accepted', v_attempt, v_run);
end
$$;

comment on function public.confirm_cancel(uuid, text, timestamptz) is
'The executor confirms that it stopped a run after the cancel directive: attempt and run become cancelled. Dead lease: 409 PT409.';

revoke execute on function public.confirm_cancel(uuid, text, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.confirm_cancel(uuid, text, timestamptz) to controlroom_executor;
