<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use Drupal\entra_provisioning\Provisioning\QueueRunner;
use Drupal\Tests\entra_provisioning\Support\SystemTime;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;
use Psr\Log\LogLevel;

/**
 * The provisioning service over fake Drupal storage and the REAL binding and
 * Graph emulator.
 */
final class ProvisionerEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  public function testUserInsertQueuesAndTheRunnerCreatesTheAccount(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['provisioning' => ['auto_create' => TRUE]]);
    $this->users->add(10, 'jdoe', 'j@example.com');

    $this->assertTrue($this->provisioner->onUserInsert(10, 'jdoe'));
    $this->assertSame(1, $this->queue->count());
    // The item carries the user's first sequence number (per-user order).
    $this->assertSame(['op' => 'provision', 'uid' => 10, 'enqueued_at' => $this->clock->getCurrentTime(), 'seq' => 1], reset($this->queue->items)['data']);
    $this->assertSame(1, $this->links->load(10)->queuedSeq);
    $this->assertSame(LinkRecord::RESULT_PENDING, $this->links->load(10)->lastResult);
    $this->assertSame([], $this->emulatorUsersNamed($emulator, 'jdoe@contoso.onmicrosoft.com'), 'nothing reaches Graph at insert time');

    $stats = $this->runner->run(10.0);
    $this->assertSame(1, $stats['done']);
    $this->assertSame(0, $this->queue->count());
    $link = $this->links->load(10);
    $this->assertSame(LinkRecord::RESULT_OK, $link->lastResult);
    $this->assertSame('created', $link->lastAction);
    $this->assertSame('jdoe@contoso.onmicrosoft.com', $link->upn);
    $this->assertNotNull($link->requestId);
    $created = $this->emulatorUsersNamed($emulator, 'jdoe@contoso.onmicrosoft.com');
    $this->assertCount(1, $created);
    $this->assertSame($created[0]['id'], $link->entraId);

    $info = array_values(array_filter($this->logger->records, static fn (array $r): bool => $r['level'] === LogLevel::INFO && str_contains($r['message'], '@action %upn')));
    $this->assertCount(1, $info);
    $this->assertSame(10, $info[0]['context']['@uid']);
    $this->assertSame('jdoe', $info[0]['context']['%name']);
    $this->assertSame('created', $info[0]['context']['@action']);
    $this->assertSame('jdoe@contoso.onmicrosoft.com', $info[0]['context']['%upn']);
    $this->assertSame($link->requestId, $info[0]['context']['@request_id']);
  }

  public function testUserInsertDoesNothingWhenAutomaticCreationIsOff(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['provisioning' => ['auto_create' => FALSE]]);
    $this->users->add(10, 'jdoe');
    $this->assertFalse($this->provisioner->onUserInsert(10, 'jdoe'));
    $this->assertSame(0, $this->queue->count());
    $this->assertNull($this->links->load(10));
  }

  public function testSecondSyncUpdatesAndNeverCreatesASecondAccount(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $this->users->add(20, 'twice');

    $first = $this->provisioner->provisionNow(20);
    $this->assertSame(Outcome::DONE, $first->status, $first->message);
    $this->assertSame('created', $first->result['action']);

    $this->assertSame(LinkRecord::PROVENANCE_CREATED, $this->links->load(20)->provenance);

    // A manual Sync of a linked account brings it in step.
    $second = $this->provisioner->provisionNow(20);
    $this->assertSame(Outcome::DONE, $second->status, $second->message);
    $this->assertSame('unchanged', $second->result['action']);
    $this->assertSame($first->result['id'], $second->result['id']);

    // A queued provision of a linked account does not even call Graph.
    $before = count($this->requestLog($emulator));
    $this->assertGreaterThan(0, $before);
    $third = $this->provisioner->process(new QueueItem(QueueItem::OP_PROVISION, 20, $this->clock->getCurrentTime()));
    $this->assertSame(Outcome::DONE, $third->status);
    $this->assertSame(LinkRecord::RESULT_OK, $this->links->load(20)->lastResult);
    $this->assertSame($before, count($this->requestLog($emulator)), 'no Graph request for an already linked account');

    $this->assertCount(1, $this->emulatorUsersNamed($emulator, 'twice@contoso.onmicrosoft.com'));
  }

  public function testThrottlingRequeuesWithTheRetryAfterDelay(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'status' => 429, 'retry_after_s' => 7]);
    $this->users->add(30, 'throttled');
    $this->users->add(31, 'other');
    $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 30, $this->clock->getCurrentTime()));
    // A later item of the same user must not overtake the throttled one.
    $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 30, $this->clock->getCurrentTime()));

    $stats = $this->runner->run(30.0);
    $this->assertSame(2, $stats['retry']);
    $this->assertSame(0, $stats['failed']);
    $this->assertSame(2, $this->queue->count(), 'throttled work stays queued');
    $this->assertSame(7, $this->queue->delays[0][1], 'delayed by Retry-After');
    $this->assertGreaterThan(0, $this->queue->delays[1][1]);
    $this->assertLessThanOrEqual(7, $this->queue->delays[1][1]);

    $link = $this->links->load(30);
    $this->assertSame(LinkRecord::RESULT_PENDING, $link->lastResult);
    $this->assertNotNull($link->lastErrorCode);
    $this->assertNotNull($link->requestId);
    $this->assertTrue($this->logger->hasWarningThatContains('will be retried in @delay s'));

    // Once the fault is gone and the delay has passed, the work completes.
    $emulator->clearFaults();
    $this->clock->advance(8);
    $stats = $this->runner->run(30.0);
    $this->assertSame(2, $stats['done']);
    $this->assertSame(0, $this->queue->count());
    $this->assertCount(1, $this->emulatorUsersNamed($emulator, 'throttled@contoso.onmicrosoft.com'));
  }

  public function testGraphOutageRequeues(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $emulator->addFault(['path_contains' => '/users', 'status' => 503]);
    $this->users->add(32, 'outage');
    $outcome = $this->provisioner->process(new QueueItem(QueueItem::OP_PROVISION, 32, $this->clock->getCurrentTime()));
    $this->assertSame(Outcome::RETRY, $outcome->status, $outcome->message);
    $this->assertSame('transient', $outcome->error['kind']);
    $this->assertSame(503, $outcome->error['http_status']);
    $expected = $outcome->error['retry_after'] !== NULL ? (int) ceil($outcome->error['retry_after']) : Provisioner::DEFAULT_RETRY_DELAY;
    $this->assertSame($expected, $outcome->delaySeconds);
    $this->assertSame(LinkRecord::RESULT_PENDING, $this->links->load(32)->lastResult);
  }

  public function testManualSyncHandsThrottledWorkToTheQueue(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'status' => 429, 'retry_after_s' => 3]);
    $this->users->add(33, 'later');
    $outcome = $this->provisioner->provisionNow(33);
    $this->assertSame(Outcome::RETRY, $outcome->status);
    $this->assertSame(1, $this->queue->count());
    $this->assertStringContainsString('Queued for a retry in 3 s', $outcome->message);
  }

  public function testValidationFailureIsPermanent(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    // Nothing in this name is allowed in a userPrincipalName.
    $this->users->add(40, '@@ ??', 'bad@example.com');
    $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 40, $this->clock->getCurrentTime()));

    $stats = $this->runner->run(10.0);
    $this->assertSame(1, $stats['failed']);
    $this->assertSame(0, $this->queue->count(), 'a permanent failure is not retried');
    $this->assertSame([], $this->queue->delays);
    $link = $this->links->load(40);
    $this->assertSame(LinkRecord::RESULT_FAILED, $link->lastResult);
    $this->assertSame('validation', $link->lastErrorCode);
    $this->assertNotEmpty($link->lastErrorMessage);
    $this->assertTrue($this->logger->hasErrorThatContains('failed: @error'));
    $error = array_values(array_filter($this->logger->records, static fn (array $r): bool => $r['level'] === LogLevel::ERROR))[0];
    $this->assertStringStartsWith('Rejected by Entra ID validation', $error['context']['@error']);
  }

  public function testGraphSideValidationFailureIsPermanent(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'status' => 400, 'code' => 'Request_BadRequest', 'message' => 'Invalid value specified for property.']);
    $this->users->add(41, 'rejected');
    $outcome = $this->provisioner->process(new QueueItem(QueueItem::OP_PROVISION, 41, $this->clock->getCurrentTime()));
    $this->assertSame(Outcome::FAILED, $outcome->status, $outcome->message);
    $this->assertSame(400, $outcome->error['http_status']);
    $this->assertSame('Request_BadRequest', $this->links->load(41)->lastErrorCode);
    $this->assertNotNull($this->links->load(41)->requestId);
  }

  public function testA403OnOneExistingUserFailsThatUserAndTheQueueGoesOn(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['lifecycle' => ['update' => TRUE, 'sync_mail' => TRUE]]);
    foreach ([60 => 'promoted', 61 => 'plain'] as $uid => $name) {
      $this->users->add($uid, $name);
      $this->assertSame(Outcome::DONE, $this->provisioner->provisionNow($uid)->status);
      $this->users->users[$uid]['mail'] = $name . '.new@example.com';
    }
    // Promoted in Entra after we created it: with User.ReadWrite.All only,
    // Graph refuses to change an administrator.
    $emulator->call('PUT', '/_emulator/users/promoted@contoso.onmicrosoft.com/directory-roles', ['roles' => ['User Administrator']]);
    $this->queue->enqueue(new QueueItem(QueueItem::OP_UPDATE, 60, $this->clock->getCurrentTime()));
    $this->queue->enqueue(new QueueItem(QueueItem::OP_UPDATE, 61, $this->clock->getCurrentTime()));

    $stats = $this->runner->run(10.0);
    $this->assertSame(['done' => 1, 'failed' => 1, 'blocked' => 0], array_intersect_key($stats, ['done' => 0, 'failed' => 0, 'blocked' => 0]), json_encode($stats) ?: '');
    $this->assertNull($this->suspension->current(), 'one refused user does not suspend the queue');
    $this->assertSame(0, $this->queue->count());
    $failed = $this->links->load(60);
    $this->assertSame(LinkRecord::RESULT_FAILED, $failed->lastResult);
    $this->assertSame('Authorization_RequestDenied', $failed->lastErrorCode);
    $this->assertSame(LinkRecord::RESULT_OK, $this->links->load(61)->lastResult);
  }

  public function testA403OnACreateStillSuspendsTheQueue(): void {
    // An app that may read users but not write them: every create would fail.
    $emulator = $this->startEmulator(['--permissions', 'User.Read.All']);
    $this->wire($emulator);
    $this->users->add(62, 'first');
    $this->users->add(63, 'second');
    $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 62, $this->clock->getCurrentTime()));
    $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 63, $this->clock->getCurrentTime()));

    $stats = $this->runner->run(10.0);
    // The two creates went to Graph together: both are released.
    $this->assertSame(2, $stats['blocked'], json_encode($stats) ?: '');
    $this->assertSame(2, $this->queue->count(), 'both creates wait for the permission');
    $suspension = $this->suspension->current();
    $this->assertNotNull($suspension);
    $this->assertSame('permission', $suspension['kind']);
  }

  public function testWrongSecretSuspendsTheQueueVisiblyAndAFixedTestResumesItAtOnce(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, [], [], 'not-the-secret-1234');
    $this->users->add(50, 'first');
    $this->users->add(51, 'second');
    $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 50, $this->clock->getCurrentTime()));
    $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 51, $this->clock->getCurrentTime()));

    $stats = $this->runner->run(10.0);
    // The group's creates go together; the run stops after it.
    $this->assertSame(2, $stats['blocked']);
    $this->assertSame(2, $stats['claimed'], 'the run stops at the first blocking error');
    $this->assertSame(2, $this->queue->count());
    $this->assertSame([], $this->queue->delays, 'nothing is locked away: the item is released');
    $link = $this->links->load(50);
    $this->assertSame(LinkRecord::RESULT_PENDING, $link->lastResult, 'still queued, so pending, not failed');
    $this->assertMatchesRegularExpression('/^AADSTS\d+$/', (string) $link->lastErrorCode);
    $suspension = $this->suspension->current();
    $this->assertNotNull($suspension);
    $this->assertSame((int) $this->clock->getCurrentTime(), $suspension['since']);
    $this->assertStringContainsString('AADSTS', $suspension['summary']);
    $this->assertNotNull($suspension['fix']);

    // Until the probe delay passes, no item is even tried.
    $before = count($this->requestLog($emulator));
    $this->clock->advance(60);
    $this->assertSame(2, $this->runner->run(10.0)['blocked'], 'the group is released untried');
    $this->assertSame($before, count($this->requestLog($emulator)), 'a suspended queue sends nothing');
    $this->assertSame((int) $this->clock->getCurrentTime() - 60, $this->suspension->current()['since'], 'since stays the first time');

    // The admin fixes the secret and runs Save and Test: the suspension
    // lifts, and the waiting items run on the very next run.
    $this->state->set(\Drupal\entra_provisioning\Provisioning\ClientFactory::STATE_SECRET, EmulatorProcess::CLIENT_SECRET);
    $this->clients->reset();
    $this->assertTrue($this->provisioner->testConnection()['ok']);
    $this->assertNull($this->suspension->current());
    $stats = $this->runner->run(10.0);
    $this->assertSame(2, $stats['done'], json_encode($stats) ?: '');
    $this->assertSame(0, $this->queue->count());
    $this->assertTrue($this->logger->hasNoticeThatContains('resumed'));
  }

  public function testThePostResponseBudgetHoldsEndToEndAgainstLongRetryAfters(): void {
    $emulator = $this->startEmulator();
    // Retries allowed: without the call deadline the library would sleep
    // through every Retry-After (10 s, twice per item).
    $this->wire($emulator, ['advanced' => ['max_retries' => 5]]);
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'status' => 429, 'retry_after_s' => 10]);
    $this->users->add(90, 'throttled.one');
    $this->users->add(91, 'throttled.two');
    $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 90, $this->clock->getCurrentTime()));
    $this->queue->enqueue(new QueueItem(QueueItem::OP_PROVISION, 91, $this->clock->getCurrentTime()));
    // The post-response run measures its budget on the real clock.
    $runner = new QueueRunner($this->queue, $this->provisioner, new SystemTime(), $this->logger);

    $started = microtime(TRUE);
    $stats = $runner->run(3.0);
    $elapsed = microtime(TRUE) - $started;

    $this->assertSame(2, $stats['retry'], json_encode($stats) ?: '');
    // Not a timing target: a run that waited out the Retry-Afters would
    // take 20 s or more; the budget is 3 s.
    $this->assertLessThan(8.0, $elapsed);
    foreach ($this->queue->delays as [, $delay]) {
      $this->assertGreaterThanOrEqual(9, $delay, 'delayed by what is left of the Retry-After');
      $this->assertLessThanOrEqual(11, $delay);
    }
    // No lock or lease ends before the call made under it.
    foreach ([90, 91] as $uid) {
      foreach ($this->lock->timeouts[Provisioner::LOCK_PREFIX . $uid] ?? [] as $timeout) {
        $this->assertGreaterThan(3.0, $timeout);
      }
    }
    $this->assertNotEmpty($this->lock->timeouts);
  }

  public function testAFailedTestNamesEachFactOnce(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, [], [], 'not-the-secret-1234');
    $record = $this->provisioner->testConnection();
    $this->assertFalse($record['ok']);
    $summary = (new \Drupal\entra_provisioning\Provisioning\ResultFormatter())->summary($record['error']);
    $requestId = (string) $record['error']['request_id'];
    $this->assertNotSame('', $requestId);
    $this->assertSame(1, substr_count($summary, $requestId), $summary);
    $this->assertSame(1, substr_count($summary, 'HTTP 401'), $summary);
    $this->assertSame(1, substr_count($summary, (string) $record['error']['aadsts']), $summary);
  }

  public function testOldBlockedWorkIsGivenUp(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, [], [], 'not-the-secret-1234');
    $this->users->add(52, 'ancient');
    $outcome = $this->provisioner->process(new QueueItem(QueueItem::OP_PROVISION, 52, $this->clock->getCurrentTime() - Provisioner::MAX_ITEM_AGE - 1));
    $this->assertSame(Outcome::FAILED, $outcome->status);
    $this->assertTrue($this->logger->hasErrorThatContains('given up'));
  }

  public function testAMissingDrupalUserFailsWithoutCreatingARow(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $missing = $this->provisioner->process(new QueueItem(QueueItem::OP_PROVISION, 99, $this->clock->getCurrentTime()));
    $this->assertSame(Outcome::FAILED, $missing->status);
    $this->assertSame('drupal_user_missing', $missing->error['code']);
    // A deleted account gets no new row that nobody could fix.
    $this->assertNull($this->links->load(99));
    $this->assertTrue($this->logger->hasWarningThatContains('skipped'));

    // With a row (queued before the account went away), it is recorded.
    $this->links->save(LinkRecord::pending(NULL, 97, 'provision', $this->clock->getCurrentTime()));
    $this->provisioner->process(new QueueItem(QueueItem::OP_PROVISION, 97, $this->clock->getCurrentTime()));
    $this->assertSame('drupal_user_missing', $this->links->load(97)->lastErrorCode);
  }

  public function testAnotherWorkerHoldingTheUserLockDefersTheItem(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $this->users->add(60, 'locked');
    $this->lock->foreign[Provisioner::LOCK_PREFIX . '60'] = TRUE;
    $outcome = $this->provisioner->process(new QueueItem(QueueItem::OP_PROVISION, 60, $this->clock->getCurrentTime()));
    $this->assertSame(Outcome::RETRY, $outcome->status);
    $this->assertSame(Provisioner::LOCKED_DELAY, $outcome->delaySeconds);
    $this->assertSame([], $this->emulatorUsersNamed($emulator, 'locked@contoso.onmicrosoft.com'));
  }

  public function testConnectionTestRecordsAttributesOrTheCause(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $ok = $this->provisioner->testConnection();
    $this->assertTrue($ok['ok']);
    $this->assertSame('Adele Vance', $ok['attributes']['displayName']);
    $this->assertNotEmpty($ok['request_id']);
    $this->assertSame($ok, $this->provisioner->lastTest());

    $this->wire($emulator, [], [], 'not-the-secret-1234');
    $failed = $this->provisioner->testConnection();
    $this->assertFalse($failed['ok']);
    $this->assertSame('auth', $failed['error']['kind']);
    $this->assertSame(401, $failed['error']['http_status']);
    $this->assertMatchesRegularExpression('/^AADSTS\d+$/', (string) $failed['error']['aadsts']);
    $this->assertNotEmpty($failed['error']['fix']);
    $this->assertSame($failed, $this->state->get(Provisioner::STATE_LAST_TEST));
  }

  public function testPreviewShowsTheMappingWithThePasswordRedacted(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['mapping' => ['properties' => [['field' => 'field_first_name', 'property' => 'givenName']]]]);
    $this->users->add(70, 'preview', 'p@example.com', ['field_first_name' => 'Pre', 'field_ignored' => 'x']);
    $before = count(self::emulatorUsers($emulator));
    $preview = $this->provisioner->preview(70);
    $this->assertTrue($preview['ok'], json_encode($preview['error']) ?: '');
    $this->assertSame('preview@contoso.onmicrosoft.com', $preview['body']['userPrincipalName']);
    $this->assertSame('Pre', $preview['body']['givenName']);
    $this->assertSame('[REDACTED]', $preview['body']['passwordProfile']['password']);
    $this->assertSame(['field_first_name'], end($this->users->requestedFields));
    $this->assertSame($before, count(self::emulatorUsers($emulator)), 'a preview sends nothing');
  }

  public function testNoSecretReachesAnyLogLinkOrResult(): void {
    $canary = 'canary-SECRET-7f3a9c1e55';
    $emulator = $this->startEmulator(['--client-id', EmulatorProcess::CLIENT_ID, '--client-secret', $canary]);
    $this->wire($emulator, ['provisioning' => ['auto_create' => TRUE]], [], $canary);
    $results = [];
    $this->users->add(80, 'canary');
    $this->users->add(81, '@@ ??');
    $this->provisioner->onUserInsert(80, 'canary');
    $this->provisioner->onUserInsert(81, '@@ ??');
    $results[] = $this->runner->run(10.0);
    $results[] = $this->provisioner->testConnection();
    $results[] = $this->provisioner->preview(80);
    $results[] = $this->provisioner->provisionNow(80);
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'status' => 429, 'retry_after_s' => 1]);
    $this->users->add(82, 'throttled');
    $results[] = $this->provisioner->provisionNow(82);

    // And with a wrong secret that is itself a canary.
    $wrong = 'canary-WRONG-0b1d2e3f44';
    $this->state->set('entra_provisioning.client_secret', $wrong);
    $this->clients->reset();
    $this->users->add(83, 'denied');
    $results[] = $this->provisioner->provisionNow(83);
    $results[] = $this->provisioner->testConnection();

    $this->assertGreaterThan(8, count($this->logger->records));
    $dump = $this->logDump() . json_encode(array_map(static fn ($r) => $r instanceof Outcome ? get_object_vars($r) : $r, $results))
      . json_encode(array_map(static fn (LinkRecord $l): array => $l->toArray(), $this->links->records))
      . json_encode($this->state->get(Provisioner::STATE_LAST_TEST));
    $this->assertStringContainsString('denied', $dump, 'the scan covers the failing run');
    $this->assertStringNotContainsString($canary, $dump);
    $this->assertStringNotContainsString($wrong, $dump);
    foreach ($this->logger->records as $record) {
      foreach ($record['context'] as $key => $value) {
        $this->assertStringNotContainsString('canary-', is_scalar($value) ? (string) $value : (json_encode($value) ?: ''), 'context ' . $key);
      }
    }
  }

}
