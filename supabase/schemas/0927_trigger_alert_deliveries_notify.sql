-- Why: signal -> first delivery attempt within 2 s (issue 14): a local dispatcher LISTENs on
-- controlroom_alert_deliveries and claims at once instead of waiting for its next poll. One
-- notification per statement and workspace (never per row: the outbox takes batches).

create function private.alert_deliveries_after_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform pg_catalog.pg_notify('controlroom_alert_deliveries', w.workspace_id::text)
    from (select distinct n.workspace_id from new_deliveries as n) as w;
    return null;
end
$$;

comment on function private.alert_deliveries_after_insert() is
'Trigger: NOTIFY controlroom_alert_deliveries with the workspace id, once per statement and workspace, so a listening dispatcher claims at once.';

create trigger alert_deliveries_after_insert
after insert on public.alert_deliveries
referencing new table as new_deliveries
for each statement execute function private.alert_deliveries_after_insert();
