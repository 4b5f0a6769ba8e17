using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DocumentPurge : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "PurgedAt",
                table: "Documents",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PurgedAt",
                table: "Documents");
        }
    }
}
