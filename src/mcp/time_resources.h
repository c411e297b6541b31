/* The caller's own time as MCP resources, for clients that let a person
 * attach context to a conversation (the same answers as the read tools):
 *   workestra://time/timer               the running timer, or none
 *   workestra://time/week                this week's timesheet
 *   workestra://time/weeks/{day}         the week holding day (YYYY-MM-DD)
 * JSON (application/json), read with the caller's own permissions. */
#ifndef MCP_TIME_RESOURCES_H
#define MCP_TIME_RESOURCES_H

/* Adds them to the registry (mcp/resources.h); once, at start, before any request. */
void mcp_time_resources_register(void);

#endif
