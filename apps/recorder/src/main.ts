import { runProcess } from '@gantry/common';
import { loadEnv, RecorderEnv } from '@gantry/config';
import { bootstrapRecorder } from './recorder.bootstrap';

const env = loadEnv(RecorderEnv);
runProcess('recorder', env.LOG_LEVEL, async (logger) => ({ running: await bootstrapRecorder(env, logger), started: {} }));
