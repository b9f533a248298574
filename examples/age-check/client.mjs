// The client every script of the example uses: Stepwise on 127.0.0.1:8083 unless
// AWS_ENDPOINT_URL_SFN says otherwise (point it at AWS and the same scripts run there).
import { SFNClient } from '@aws-sdk/client-sfn';

export const ACTIVITY_NAME = 'ageCheck';
export const MACHINES = { ContentBrowse: 'content-browse.json', AppDownload: 'app-download.json' };

export function client() {
  const local = process.env.AWS_ACCESS_KEY_ID === undefined;
  return new SFNClient({
    endpoint: process.env.AWS_ENDPOINT_URL_SFN ?? 'http://127.0.0.1:8083',
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // Stepwise on loopback accepts any credentials; AWS needs real ones from the environment.
    ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}
