import { InMemoryIncidentStore } from '../../../src/incidents/in-memory-incident-store';
import { describeIncidentStore } from '../../support/incident-store-contract';

describeIncidentStore('the in-memory incident store', async () => new InMemoryIncidentStore());
