-- Why: the single-run status change; the trigger on runs checks the edge and writes the audit row.

create type private.run_change as (
    run_id uuid,
    to_status text,
    actor text,
    reason text,
    not_before timestamptz,
    deadline_at timestamptz
);

comment on type private.run_change is
'One requested run status change for private.transition_runs: the run, its new status, who and why, and (when queued again) not_before, (when first claimed) the deadline.';

create function private.transition_runs(changes private.run_change [], as_of timestamptz)
returns setof public.runs
language plpgsql
set search_path = ''
-- The runs are found by id (= any(array)); a plan cached while the table was nearly empty must
-- not keep a sequential scan as it grows (see 20261126070100).
set enable_seqscan = off
as $$
declare
    v_ids uuid[] := array(select c.run_id from pg_catalog.unnest(transition_runs.changes) as c);
begin
    -- The runs_after_update trigger checks every edge against private.run_status_edge_allowed and
    -- writes the audit rows, once per statement; entering claimed starts a new attempt.
    return query
    update public.runs as r
    set status = c.to_status,
        attempt_count = r.attempt_count + (c.to_status = 'claimed')::integer,
        first_claimed_at = case
            when c.to_status = 'claimed' then coalesce(r.first_claimed_at, transition_runs.as_of)
            else r.first_claimed_at
        end,
        deadline_at = coalesce(r.deadline_at, c.deadline_at),
        not_before = coalesce(c.not_before, r.not_before),
        -- A requeued run is scored again: its age restarts and its retry factor counts.
        score = case
            when c.to_status = 'queued' then private.run_score(
                r.workspace_id, r.pool, r.spec_id, r.priority, transition_runs.as_of, r.due_by, r.attempt_count,
                transition_runs.as_of
            )
            else r.score
        end,
        finished_at = case when c.to_status = any(private.terminal_run_statuses()) then transition_runs.as_of end,
        status_changed_at = transition_runs.as_of,
        status_changed_by = c.actor,
        status_reason = c.reason,
        updated_at = transition_runs.as_of
    from pg_catalog.unnest(transition_runs.changes) as c
    where r.id = any(v_ids) and r.id = c.run_id
    returning r.*;
end
$$;

comment on function private.transition_runs(private.run_change [], timestamptz) is
'The one way a run''s status changes: moves each run of changes to its to_status in one statement (the trigger checks the edge and audits it) and returns the changed runs. Claimed starts a new attempt (attempt_count + 1, first_claimed_at, deadline_at); a terminal status sets finished_at; queued again rescores the run (private.run_score).';

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
    select t.* into v_run
    from private.transition_runs(
        array[row(
            transition_run.run_id, transition_run.to_status, transition_run.actor, transition_run.reason,
            transition_run.not_before, null
        )::private.run_change],
        transition_run.as_of
    ) as t;
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
'Moves one run to to_status: a batch of one over private.transition_runs (PT404 when the run does not exist).';
