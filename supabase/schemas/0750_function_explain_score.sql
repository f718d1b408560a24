-- Why: a score nobody can explain is not trusted (Slurm's sprio): explain_score shows each factor of
-- a run's score with its raw value, normalised value, weight and contribution, from the same engine
-- that computes runs.score (private.score_factors_in), and the stored score next to their sum.

create function public.explain_score(run_id uuid, as_of timestamptz default null)
returns table (
    factor text,
    raw double precision,
    normalised double precision,
    weight double precision,
    contribution double precision
)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(explain_score.as_of);
    v_run public.runs;
    v_context private.score_context;
    v_queued_at timestamptz;
begin
    select r.* into v_run from public.runs as r where r.id = explain_score.run_id;
    if not found or (
        private.caller_role() = 'authenticated' and not private.is_member(v_run.workspace_id, 'viewer')
    ) or (private.caller_role() <> 'authenticated' and not private.caller_is_service_or_owner()) then
        raise exception 'run % not found', explain_score.run_id
        using errcode = 'PT404',
        detail = 'No run with this id is visible to the caller.',
        hint = 'Check the run id and the workspace you are a member of.';
    end if;
    v_context := private.score_context(v_run.workspace_id, v_run.pool, v_run.spec_id);
    v_queued_at := case when v_run.status = 'queued' then v_run.status_changed_at else v_as_of end;
    return query
    select f.factor, f.raw, f.normalised, f.weight, f.contribution
    from private.score_factors_in(v_context, v_run.priority, v_queued_at, v_run.due_by, v_run.attempt_count, v_as_of) as f;
    -- The sum at as_of, and the score stored for the claim order (as of the last refresh).
    return query
    select 'total', null::double precision, null::double precision, null::double precision,
        private.score_in(v_context, v_run.priority, v_queued_at, v_run.due_by, v_run.attempt_count, v_as_of);
    return query
    select 'stored', null::double precision, null::double precision, null::double precision, v_run.score;
end
$$;

comment on function public.explain_score(uuid, timestamptz) is
'Every factor of a run''s score at as_of (priority, age, deadline, fair_share, retry, duration): raw value, value normalised to [0, 1], the pool''s weight and the contribution; then total (their sum) and stored (runs.score, the claim order as of the last refresh). Members (viewer and up) and the service role; others get PT404.';

revoke execute on function public.explain_score(uuid, timestamptz) from public, anon, authenticated;
grant execute on function public.explain_score(uuid, timestamptz) to authenticated, service_role;
