/* pi_model_weights.h: the compiled-in model, defined by the generated pi_model_weights.c
 * (train/train.py writes it; do not edit that file by hand). */
#ifndef PI_MODEL_WEIGHTS_H
#define PI_MODEL_WEIGHTS_H

#include "pi_model.h"

extern const pi_model pi_model_builtin_model;

#endif
