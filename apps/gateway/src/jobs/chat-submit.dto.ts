import { ChatRequestDto } from '@gantry/contracts';
import { WithJobSubmitOptions } from './job-submit-options';

/** `POST /api/chat` body: the chat request plus delivery and deadline options (not sent to vLLM). */
export class ChatSubmitDto extends WithJobSubmitOptions(ChatRequestDto) {}
