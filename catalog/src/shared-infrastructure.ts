/**
 * Registrable domains that host many unrelated services. A catalog entry may name a specific host
 * under them (`generativelanguage.googleapis.com`) or a service-specific suffix (`openai.azure.com`),
 * never the registrable domain itself as a suffix: that would label every customer of the platform.
 */
export const SHARED_INFRASTRUCTURE = new Set([
  'amazonaws.com', 'amazon.com', 'aws.dev', 'cloudfront.net', 'googleapis.com', 'google.com', 'googleusercontent.com',
  'gstatic.com', 'appspot.com', 'run.app', 'web.app', 'firebaseapp.com', 'azure.com', 'azureedge.net', 'azurefd.net',
  'azurewebsites.net', 'windows.net', 'microsoft.com', 'microsoftonline.com', 'office.com', 'live.com', 'bing.com',
  'akamaized.net', 'akamaiedge.net', 'akamai.net', 'edgekey.net', 'edgesuite.net', 'fastly.net', 'fastlylb.net',
  'cloudflare.com', 'cloudflare.net', 'workers.dev', 'pages.dev', 'github.com', 'githubusercontent.com', 'github.io',
  'vercel.app', 'netlify.app', 'herokuapp.com', 'apple.com', 'icloud.com', 'facebook.com', 'fbcdn.net', 'x.com',
  'twitter.com', 'linkedin.com', 'salesforce.com', 'slack.com', 'zoom.us',
]);
