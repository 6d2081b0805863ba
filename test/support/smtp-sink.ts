import { createServer, type Socket } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
  /** The user and password the client logged in with (AUTH PLAIN or LOGIN), or null without auth. */
  auth: { user: string; password: string } | null;
}

/**
 * A mail server that accepts everything and keeps it, on 127.0.0.1: just enough SMTP for
 * nodemailer (EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, QUIT), no TLS; it accepts any login and
 * keeps what was sent, so a test can check a password arrived unchanged.
 */
export async function startSmtpSink(): Promise<{ port: number; received: ReceivedMail[]; close(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    let inData = false;
    let auth: ReceivedMail['auth'] = null;
    let mail: ReceivedMail = { from: '', to: [], data: '', auth: null };
    // AUTH LOGIN asks for the user, then the password; AUTH PLAIN may send its answer on the next line.
    let authStep: null | 'plain' | 'login-user' | 'login-password' = null;
    let loginUser = '';
    const b64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 sink.hearth.test ESMTP');
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            received.push({ ...mail, auth });
            mail = { from: '', to: [], data: '', auth: null };
            reply('250 OK: queued');
          } else mail.data += `${line.startsWith('..') ? line.slice(1) : line}\n`;
          continue;
        }
        if (authStep) {
          const step = authStep;
          authStep = null;
          if (step === 'plain') {
            const [, user = '', password = ''] = b64(line).split('\0');
            auth = { user, password };
            reply('235 Authentication succeeded');
          } else if (step === 'login-user') {
            loginUser = b64(line);
            authStep = 'login-password';
            reply(`334 ${Buffer.from('Password:').toString('base64')}`);
          } else {
            auth = { user: loginUser, password: b64(line) };
            reply('235 Authentication succeeded');
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') {
          reply('250-sink.hearth.test');
          reply('250 AUTH PLAIN LOGIN');
        } else if (verb === 'AUTH') {
          const [, method = '', initial] = line.split(' ');
          if (method.toUpperCase() === 'PLAIN' && initial) {
            const [, user = '', password = ''] = b64(initial).split('\0');
            auth = { user, password };
            reply('235 Authentication succeeded');
          } else if (method.toUpperCase() === 'PLAIN') {
            authStep = 'plain';
            reply('334 ');
          } else {
            authStep = 'login-user';
            reply(`334 ${Buffer.from('Username:').toString('base64')}`);
          }
        } else if (verb === 'MAIL') {
          mail.from = line.slice(10).trim();
          reply('250 OK');
        } else if (verb === 'RCPT') {
          mail.to.push(line.slice(8).trim());
          reply('250 OK');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'QUIT') {
          reply('221 Bye');
          socket.end();
        } else if (verb === 'RSET' || verb === 'NOOP') {
          reply('250 OK');
        }
        else reply('502 Not implemented');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    received,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
