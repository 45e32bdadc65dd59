package dev.finetune.generate;

/** Which token likelihoods a generate response carries: none, the generated tokens', or the prompt's too. */
public enum ReturnLikelihoods { NONE, GENERATION, ALL }
