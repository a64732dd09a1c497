/** A form that the server checks: its 4xx `details` become one message per field, anything else one problem. */
import { useState, type FormEvent } from 'react';

import { fieldErrors } from '../lib/admin-schemas';
import { ApiError } from '../lib/api';

export function useServerForm(save: () => Promise<void>) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setProblem(null);
    try {
      await save();
    } catch (failure) {
      const byField = failure instanceof ApiError ? fieldErrors(failure.details) : {};
      setErrors(byField);
      if (Object.keys(byField).length === 0) {
        setProblem(failure instanceof Error ? failure.message : 'The server could not be reached; try again.');
      }
    } finally {
      setBusy(false);
    }
  };
  return { errors, problem, busy, submit };
}
