/** One short message for the admin ("Drop a step inside a stage"), read out by screen readers. */
import { create } from 'zustand';

type NoticeState = {
  message: string | null;
  tone: 'info' | 'problem';
  show: (message: string, tone?: 'info' | 'problem') => void;
  clear: () => void;
};

export const useNoticeStore = create<NoticeState>()((set) => ({
  message: null,
  tone: 'info',
  show: (message, tone = 'problem') => set({ message, tone }),
  clear: () => set({ message: null }),
}));
