-- Why: the single-run status change; the trigger on runs checks the edge and writes the audit row.

create function private.transition_run(
    run_id uuid,
    to_status text,
    actor text,
    reason text,
    as_of timestamptz,
    not_before timestamptz default null
)
returns public.runs
language plpgsql
set search_path = ''
as $$
declare
    v_run public.runs;
begin
    update public.runs as r
    set status = transition_run.to_status,
        not_before = coalesce(transition_run.not_before, r.not_before),
        finished_at = case
            when private.run_status_is_terminal(transition_run.to_status) then transition_run.as_of
        end,
        status_changed_at = transition_run.as_of,
        status_changed_by = transition_run.actor,
        status_reason = transition_run.reason,
        updated_at = transition_run.as_of
    where r.id = transition_run.run_id
    returning r.* into v_run;
    if not found then
        raise exception 'run % does not exist', transition_run.run_id
        using errcode = 'PT404',
        detail = 'No run has this id.',
        hint = 'Check the run id.';
    end if;
    return v_run;
end
$$;

comment on function private.transition_run(uuid, text, text, text, timestamptz, timestamptz) is
'Moves one run to to_status (the trigger checks the edge and writes the audit row). Set-based paths (claim, requeue) update the same columns in one statement.';
