/** The shared CSV import module's old name, kept for the modules that still import it by this path. */
export * from './csv-import.ts';
