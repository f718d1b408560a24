-- Why: append-only and immutable tables (run_transitions, run_events, pipeline_specs, artifacts)
-- must hold for every writer, the owner included, so a statement trigger refuses the change.
-- Only the purge functions (0340_function_purge.sql) may delete, by setting controlroom.purging.

create function private.reject_table_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if tg_op = 'DELETE' and pg_catalog.current_setting('controlroom.purging', true) = 'on' then
        return null;
    end if;
    raise exception '% on %.% is not allowed', tg_op, tg_table_schema, tg_table_name
    using errcode = '42501',
    detail = tg_argv[0],
    hint = 'Old rows are removed only by private.purge_finished_runs(older_than) or private.purge_workspace(workspace_id).';
end
$$;

comment on function private.reject_table_change() is
'Trigger: refuses UPDATE, DELETE and TRUNCATE for every role, the owner included. DELETE passes only inside the purge functions, which set the transaction-local setting controlroom.purging.';
