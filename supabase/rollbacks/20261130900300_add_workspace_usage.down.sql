-- Rollback of 20261130900300: clients add up attempts themselves again.

drop function public.workspace_usage(timestamptz, timestamptz, uuid);
