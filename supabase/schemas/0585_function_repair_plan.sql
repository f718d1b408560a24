-- Why: the executor of a repair run must know which phases to skip and which recorded outputs to
-- check and reuse (issue 16). It holds no table privileges, so it asks with its lease.

create function public.repair_plan(lease uuid, as_of timestamptz default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(repair_plan.as_of);
    v_attempt public.run_attempts;
    v_lineage public.run_lineage;
begin
    perform private.assert_executor_role();
    select a.* into v_attempt from public.run_attempts as a where a.lease_token = repair_plan.lease;
    if not found or not exists (
        select from public.executors as x
        where x.id = v_attempt.executor_id and x.token_sub = (select auth.uid())
    ) then
        raise exception 'no attempt of this credential holds lease %', repair_plan.lease
        using errcode = 'PT404',
        detail = 'The token is wrong, belongs to another executor credential, or its run was purged.',
        hint = 'Use the leases returned by your own claim_runs calls.';
    end if;
    if not private.lease_is_live(v_attempt) then
        raise exception '%', private.dead_lease_message(v_attempt.attempt_no, v_attempt.run_id, v_attempt.status)
        using errcode = 'PT409',
        detail = pg_catalog.format('Asked at %s.', v_as_of),
        hint = 'Stop working on this run.';
    end if;
    select l.* into v_lineage from public.run_lineage as l where l.run_id = v_attempt.run_id;
    return pg_catalog.jsonb_build_object(
        'run_id', v_attempt.run_id,
        'parent_run_id', v_lineage.parent_run_id,
        'kind', v_lineage.kind,
        'from_phase', v_lineage.from_phase,
        'reused', coalesce(v_lineage.reused, '[]'::jsonb)
    );
end
$$;

comment on function public.repair_plan(uuid, timestamptz) is
'For the executor holding a live lease: how its run was made (kind rerun | repair | null, parent_run_id) and, for a repair, from_phase and the recorded outputs to verify and reuse. PT404 unknown lease or another credential''s; PT409 dead lease.';

revoke execute on function public.repair_plan(uuid, timestamptz) from public, anon, authenticated, service_role;
grant execute on function public.repair_plan(uuid, timestamptz) to controlroom_executor;
