// The real ONNX face models and a validator over them, loaded once per test file and closed at
// its end (the vision tests that read real photos share this set-up).
import type { Test } from 'tap';
import type { FaceAnalyser } from '../../src/vision/analysis.ts';
import { silentLogger } from '../../src/log.ts';
import { loadFaceAnalyser } from '../../src/vision/models/analyser.ts';
import { createValidatorWith, type Validator } from '../../src/vision/validator.ts';

export interface RealModels {
  analyser: FaceAnalyser;
  validator: Validator;
}

/** Loads the models before the file's first test; the fields are set from then on. */
export function realModels(t: Test): RealModels {
  const models = {} as RealModels;
  t.before(async () => {
    models.analyser = await loadFaceAnalyser();
    models.validator = createValidatorWith({ analyser: models.analyser, logger: silentLogger() });
  });
  t.teardown(() => models.validator?.close());
  return models;
}
