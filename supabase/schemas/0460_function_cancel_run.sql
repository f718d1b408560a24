-- Why: people (and the service role) ask for work and take it back through two RPCs:
-- submit_run (idempotent by key, so a retried HTTP call never runs a pipeline twice) and
-- cancel_run (immediate for queued runs, cooperative for running ones). Both check the caller's
-- workspace role first; viewers read, operators act.

create function public.cancel_run(run_id uuid, reason text default null, as_of timestamptz default null)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(cancel_run.as_of);
    v_actor text := private.caller_actor();
    v_reason text := coalesce(nullif(cancel_run.reason, ''), 'cancelled by ' || coalesce(private.caller_actor(), 'unknown'));
    v_run public.runs;
begin
    if private.caller_role() not in ('authenticated', 'service_role', 'postgres', 'supabase_admin') then
        raise exception 'only workspace operators and the service role cancel runs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace operator.';
    end if;
    if pg_catalog.char_length(v_reason) > 2000 then
        raise exception 'reason is too long'
        using errcode = '22023',
        detail = 'A reason has at most 2000 characters.',
        hint = 'Shorten the reason.';
    end if;

    select r.* into v_run from public.runs as r where r.id = cancel_run.run_id for update;
    if not found
        or (private.caller_role() = 'authenticated' and not private.is_member(v_run.workspace_id, 'viewer')) then
        raise exception 'run % does not exist', cancel_run.run_id
        using errcode = 'PT404',
        detail = 'No run with this id is visible to the caller.',
        hint = 'Check the run id.';
    end if;
    if private.caller_role() = 'authenticated' and not private.is_member(v_run.workspace_id, 'operator') then
        raise exception 'viewers cannot cancel runs'
        using errcode = '42501',
        detail = 'Cancelling needs the operator role in the workspace.',
        hint = 'Ask a workspace admin for the operator role.';
    end if;

    -- GUARD: a repeated cancel (already cancelled, or already asked of a live attempt) changes nothing.
    if v_run.status = 'cancelled'
        or (v_run.status = any(private.active_run_statuses()) and v_run.cancel_requested_at is not null) then
        return v_run;
    elsif private.run_status_is_terminal(v_run.status) then
        raise exception 'run % is already % and cannot be cancelled', v_run.id, v_run.status
        using errcode = 'PT422',
        detail = 'Terminal runs are final.',
        hint = 'Nothing to cancel.';
    end if;

    update public.runs as r
    set cancel_requested_at = v_as_of,
        cancel_requested_by = v_actor,
        cancel_reason = v_reason,
        updated_at = v_as_of
    where r.id = v_run.id
    returning r.* into v_run;

    if v_run.status = 'queued' then
        v_run := private.transition_run(v_run.id, 'cancelled', v_actor, v_reason, v_as_of);
    end if;
    return v_run;
end
$$;

comment on function public.cancel_run(uuid, text, timestamptz) is
'Cancels a run: a queued run is cancelled at once; a claimed or running run gets a cancellation request that heartbeat turns into the cancel directive, and it becomes cancelled when its executor confirms or its lease goes stale. Idempotent.';

revoke execute on function public.cancel_run(uuid, text, timestamptz) from public, anon, authenticated;
grant execute on function public.cancel_run(uuid, text, timestamptz) to authenticated, service_role;
