import { fileURLToPath } from 'node:url';
import { runPoolDesignCliSuite } from '@socketlab/test-utils';

runPoolDesignCliSuite('socketlab-server-mt', fileURLToPath(new URL('../bin.js', import.meta.url)));
