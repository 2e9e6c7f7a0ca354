<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Drupal;

use Drupal\entra_provisioning\Drupal\BulkSyncBatch;
use Drupal\entra_provisioning\Provisioning\BulkScope;
use Drupal\Tests\entra_provisioning\Integration\Provisioning\ProvisioningTestTrait;
use Drupal\Tests\entra_provisioning\Support\ModuleContainer;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * "Sync all users" as core's Batch API runs it: the batch definition, the
 * operation called until it reports finished, then the finish callback. The
 * callbacks reach the services through \Drupal::service() by their
 * services.yml ids (core's \Drupal and BatchBuilder from drupal-stubs.php),
 * the real library and the Graph emulator underneath.
 */
final class BulkSyncBatchTest extends NativeTestCase {

  use ProvisioningTestTrait;

  /**
   * @var list<array{0: string, 1: string}>
   */
  private array $messages = [];

  protected function tearDown(): void {
    \Drupal::unsetContainer();
    parent::tearDown();
  }

  /**
   * Runs a batch definition the way core's _batch_process() does.
   *
   * @param array<string, mixed> $batch
   */
  private function runBatch(array $batch): int {
    $results = [];
    $calls = 0;
    foreach ($batch['operations'] as [$callback, $arguments]) {
      $context = ['sandbox' => [], 'results' => $results, 'finished' => 1, 'message' => ''];
      do {
        $context['finished'] = 1;
        call_user_func_array($callback, array_merge($arguments, [&$context]));
        $calls++;
        $this->assertLessThan(100, $calls, 'the operation never reports finished');
      } while ($context['finished'] < 1);
      $results = $context['results'];
    }
    call_user_func($batch['finished'], TRUE, $results, [], '1 sec');

    return $calls;
  }

  public function testSyncAllUsersRunsInChunksAndReportsTheSummary(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $this->users->add(1, 'admin');
    foreach (range(21, 25) as $uid) {
      $this->users->add($uid, 'batch.user.' . $uid);
    }
    $messenger = new class ($this->messages) {
      /**
       * @param list<array{0: string, 1: string}> $messages
       */
      public function __construct(private array &$messages) {
      }

      public function addStatus($message): void {
        $this->messages[] = ['status', (string) $message];
      }

      public function addError($message): void {
        $this->messages[] = ['error', (string) $message];
      }
    };
    \Drupal::setContainer(new ModuleContainer(['entra_provisioning.bulk_sync' => $this->bulk, 'messenger' => $messenger], ['messenger']));

    $batch = BulkSyncBatch::build(2, new BulkScope());
    $this->assertSame([[BulkSyncBatch::class, 'process'], [2, (new BulkScope())->toArray()]], $batch['operations'][0]);
    $calls = $this->runBatch($batch);

    $this->assertSame(4, $calls, 'three chunks of two, then the call that finds no more');
    foreach (range(21, 25) as $uid) {
      $this->assertCount(1, $this->emulatorUsersNamed($emulator, 'batch.user.' . $uid . '@contoso.onmicrosoft.com'), "uid $uid created");
      $this->assertTrue($this->links->load($uid)->isLinked());
    }
    $this->assertSame([], $this->emulatorUsersNamed($emulator, 'admin@contoso.onmicrosoft.com'), 'uid 1 is not part of "all users"');
    $this->assertCount(1, $this->messages);
    $this->assertSame('status', $this->messages[0][0]);
    $this->assertStringStartsWith('Synchronisation with Entra ID finished: ', $this->messages[0][1]);
    $this->assertStringContainsString('5 created', $this->messages[0][1]);
  }

}
