/** The root of finetune: the {@code ClientV2} surface and the exception hierarchy. */
package dev.finetune;
