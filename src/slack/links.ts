/**
 * Links Steadfast writes into Slack itself: the address is ours (configuration and an encoded incident
 * ID), the label is ours. Slack's manual link `<url|label>` ends at `|` or `>`, so neither may appear
 * in the address; nor may `<` or whitespace.
 */
const slackSafeUrl = (url: string): string => url.replace(/[<>|\s]/g, encodeURIComponent);

/** The incident's page in the console (where its report and postmortem draft are downloaded). */
export function consoleIncidentUrl(consoleUrl: string, incidentId: string): string {
  const base = consoleUrl.endsWith('/') ? consoleUrl : `${consoleUrl}/`;
  return slackSafeUrl(`${base}#/incidents/${encodeURIComponent(incidentId)}`);
}

/** A manual Slack link, for a verbatim mrkdwn text: `label` is Steadfast's own words. */
export function slackLink(url: string, label: string): string {
  return `<${slackSafeUrl(url)}|${label.replace(/[<>|&]/g, '')}>`;
}
